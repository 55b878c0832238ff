/**
 * One simulated LL-HLS listener: asks to listen (waits out 503 + Retry-After), then plays like a player
 * without decoding: a blocking reload for the part named in the preload hint, every new part fetched in
 * order, a heartbeat every `heartbeatSeconds`. No timer of its own: it is one async loop.
 */
import type { HttpPool } from './HttpPool.js';
import {
  comparePos,
  firstVariant,
  listedParts,
  parseMediaPlaylist,
  partEndMs,
  StallMeter,
  type PartRef,
  type StallEvent,
} from '../listener/index.js';
import { ApiError, RostraClient } from '../client/index.js';
import { TICKET_COOKIE } from '../contract/index.js';
import { Counter, DelayHistogram } from './Stats.js';

/** What every listener adds to; one instance per load test. */
export interface Tally {
  readonly delay: DelayHistogram;
  readonly errors: Counter;
  readonly refused: Counter;
  connected: number;
  stalls: number;
  parts: number;
  firstJoinMs: number;
  lastJoinMs: number;
}

export function newTally(): Tally {
  return {
    delay: new DelayHistogram(),
    errors: new Counter(),
    refused: new Counter(),
    connected: 0,
    stalls: 0,
    parts: 0,
    firstJoinMs: 0,
    lastJoinMs: 0,
  };
}

export interface ListenerTarget {
  spaceId: string;
  /** Path prefix of the live directory, e.g. `/live/<id>/`. */
  liveDir: string;
}

export class SimListener {
  readonly #pool: HttpPool;
  readonly #client: RostraClient;
  readonly #target: ListenerTarget;
  readonly #tally: Tally;
  readonly #deadlineMs: number;
  readonly #now: () => number;
  #ticket = '';

  constructor(pool: HttpPool, target: ListenerTarget, tally: Tally, deadlineMs: number, now: () => number) {
    this.#pool = pool;
    this.#client = new RostraClient(pool.transport, { origin: `http://${pool.host}:${pool.port}` });
    this.#target = target;
    this.#tally = tally;
    this.#deadlineMs = deadlineMs;
    this.#now = now;
  }

  get #live(): boolean {
    return !this.#pool.closed && this.#now() < this.#deadlineMs;
  }

  async run(): Promise<void> {
    try {
      const admitted = await this.#join();
      if (!admitted) return;
      await this.#play(admitted.playlistPath, admitted.heartbeatSeconds);
    } catch (err) {
      if (this.#live) this.#tally.errors.add((err as NodeJS.ErrnoException).code ?? 'error');
    }
    await this.#leave();
  }

  /** Stops being counted at once, as a player closing its page does (else the count lags a ticket life). */
  async #leave(): Promise<void> {
    if (this.#ticket === '' || this.#pool.closed) return;
    const ticket = this.#ticket;
    this.#ticket = '';
    try {
      const res = await this.#pool.send('POST', `/api/v1/spaces/${this.#target.spaceId}/leave`, {
        json: { ticket },
      });
      if (res.status !== 204) this.#tally.errors.add(`leave_http_${res.status}`);
    } catch (err) {
      if (!this.#pool.closed) this.#tally.errors.add((err as NodeJS.ErrnoException).code ?? 'error');
    }
  }

  async #join(): Promise<{ playlistPath: string; heartbeatSeconds: number } | undefined> {
    while (this.#live) {
      try {
        const admission = await this.#client.listen(this.#target.spaceId);
        this.#ticket = admission.ticket;
        const now = this.#now();
        if (this.#tally.connected === 0) this.#tally.firstJoinMs = now;
        this.#tally.connected++;
        this.#tally.lastJoinMs = now;
        // Media is always fetched from the host the user named, whatever host the answer names.
        return {
          playlistPath: new URL(admission.playlistUrl, 'http://x').pathname,
          heartbeatSeconds: admission.heartbeatSeconds,
        };
      } catch (err) {
        if (!(err instanceof ApiError) || err.status === 0) throw err;
        if (err.status !== 503 && err.status !== 429) {
          this.#tally.errors.add(`listen_http_${err.status}`);
          return undefined;
        }
        // Refused (an edge's own 503 has no code: its status is the reason); wait as told, then ask again.
        const reason = err.details?.reason;
        this.#tally.refused.add(typeof reason === 'string' ? reason : err.code);
        const retryS = err.retryAfter ?? 1;
        await sleep(Math.min(Math.max(retryS, 0.1) * 1000, Math.max(0, this.#deadlineMs - this.#now())));
      }
    }
    return undefined;
  }

  #get(path: string, keepBody: boolean) {
    return this.#pool.send('GET', path, {
      headers: { cookie: `${TICKET_COOKIE}=${this.#ticket}` },
      keepBody,
    });
  }

  async #play(playlistPath: string, heartbeatSeconds: number): Promise<void> {
    let res = await this.#get(playlistPath, true);
    if (res.status !== 200) return this.#tally.errors.add(`playlist_http_${res.status}`);
    const variant = firstVariant(res.body);
    const mediaPath = variant ? new URL(variant, `http://x${playlistPath}`).pathname : playlistPath;
    if (variant) res = await this.#get(mediaPath, true);
    if (res.status !== 200) return this.#tally.errors.add(`playlist_http_${res.status}`);
    let playlist = parseMediaPlaylist(res.body);
    const partTargetS = playlist.partTarget ?? playlist.targetDuration;
    const meter = new StallMeter({ partTargetS });
    // Start at the live edge: the newest complete part, as a low-latency player does.
    let last: PartRef | undefined = listedParts(playlist).at(-1);
    if (last) await this.#fetchPart(mediaPath, last, meter, false);
    let nextHeartbeat = this.#now() + heartbeatSeconds * 1000;
    try {
      while (this.#live && !playlist.endList) {
        if (this.#now() >= nextHeartbeat) {
          nextHeartbeat += heartbeatSeconds * 1000;
          void this.#heartbeat();
        }
        const hint = playlist.preloadHint;
        const q = hint ? `?_HLS_msn=${hint.msn}&_HLS_part=${hint.index}&_HLS_skip=YES` : '';
        res = await this.#get(mediaPath + q, true);
        this.#count(meter.tick(this.#now()));
        if (res.status !== 200) {
          this.#tally.errors.add(`playlist_http_${res.status}`);
          await sleep(Math.min(1000, partTargetS * 1000));
          // Ask for the playlist as it is next time (a restarted origin refuses an MSN it has not reached).
          if (res.status === 400) res = await this.#get(mediaPath, true);
          if (res.status !== 200) continue;
        }
        playlist = parseMediaPlaylist(res.body);
        const parts = listedParts(playlist);
        const newest = parts.at(-1);
        if (last && newest && comparePos(newest, last) < 0) {
          // The media sequence went backwards (the origin restarted): rejoin at its live edge.
          this.#count(meter.discontinuity());
          last = undefined;
        } else if (last && parts[0] && lostBetween(last, parts[0])) {
          this.#count(meter.discontinuity()); // parts left the playlist before we fetched them
        }
        const from = last;
        const fresh = from ? parts.filter((p) => comparePos(p, from) > 0) : parts.slice(-1);
        for (const part of fresh) {
          if (!this.#live) return;
          await this.#fetchPart(mediaPath, part, meter, true);
          last = part;
        }
      }
    } finally {
      // A freeze still open when the run ends is a stall too.
      this.#count(meter.tick(this.#now()));
    }
  }

  #count(stall: StallEvent | undefined): void {
    if (stall) this.#tally.stalls++;
  }

  async #fetchPart(mediaPath: string, part: PartRef, meter: StallMeter, measured: boolean): Promise<void> {
    const res = await this.#get(new URL(part.uri, `http://x${mediaPath}`).pathname, false);
    if (res.status !== 200) return this.#tally.errors.add(`part_http_${res.status}`);
    this.#count(meter.onAudio(this.#now(), part.duration));
    const publishedMs = partEndMs(part);
    if (!measured || !Number.isFinite(publishedMs)) return;
    this.#tally.parts++;
    this.#tally.delay.record(Date.now() - publishedMs);
  }

  async #heartbeat(): Promise<void> {
    try {
      this.#ticket = (await this.#client.heartbeat(this.#target.spaceId, this.#ticket)).ticket;
    } catch (err) {
      if (!this.#live) return;
      if (err instanceof ApiError && err.status > 0) this.#tally.errors.add(`heartbeat_http_${err.status}`);
      else this.#tally.errors.add((err as NodeJS.ErrnoException).code ?? 'error');
    }
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Whether parts were lost between the last one fetched and the oldest one listed now. */
export function lostBetween(last: PartRef, oldest: PartRef): boolean {
  if (comparePos(oldest, last) <= 0) return false;
  const next = oldest.msn === last.msn && oldest.index === last.index + 1;
  const nextSegment = oldest.msn === last.msn + 1 && oldest.index === 0;
  return !next && !nextSegment;
}
