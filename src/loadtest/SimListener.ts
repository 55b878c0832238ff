/**
 * One simulated LL-HLS listener: asks to listen (waits out 503 + Retry-After), then plays like a player
 * without decoding: a blocking reload for the part named in the preload hint, every new part fetched in
 * order, a heartbeat every `heartbeatSeconds`. No timer of its own: it is one async loop.
 */
import type { HttpPool } from './HttpPool.js';
import { comparePos, parseMediaPlaylist, variantUri, type PartRef } from './MediaPlaylist.js';
import { StallMeter, type Counter, type DelayHistogram } from './Stats.js';

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

export interface ListenerTarget {
  spaceId: string;
  /** Path prefix of the live directory, e.g. `/live/<id>/`. */
  liveDir: string;
}

export class SimListener {
  readonly #pool: HttpPool;
  readonly #target: ListenerTarget;
  readonly #tally: Tally;
  readonly #deadlineMs: number;
  readonly #now: () => number;
  #ticket = '';
  #meter: StallMeter | undefined;

  constructor(pool: HttpPool, target: ListenerTarget, tally: Tally, deadlineMs: number, now: () => number) {
    this.#pool = pool;
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
  }

  async #join(): Promise<{ playlistPath: string; heartbeatSeconds: number } | undefined> {
    while (this.#live) {
      const res = await this.#pool.send('POST', `/api/v1/spaces/${this.#target.spaceId}/listen`, {
        json: {},
        keepBody: true,
      });
      if (res.status === 200) {
        const body = JSON.parse(res.body) as {
          ticket: string;
          playlistUrl: string;
          heartbeatSeconds: number;
        };
        this.#ticket = body.ticket;
        const now = this.#now();
        if (this.#tally.connected === 0) this.#tally.firstJoinMs = now;
        this.#tally.connected++;
        this.#tally.lastJoinMs = now;
        // Media is always fetched from the host the user named, whatever host the answer names.
        return {
          playlistPath: new URL(body.playlistUrl, 'http://x').pathname,
          heartbeatSeconds: body.heartbeatSeconds,
        };
      }
      if (res.status === 503 || res.status === 429) {
        let reason = `http_${res.status}`;
        try {
          const e = JSON.parse(res.body) as { error?: { code?: string; details?: { reason?: string } } };
          reason = e.error?.details?.reason ?? e.error?.code ?? reason;
        } catch {
          // Not JSON (an edge's own 503): keep the status as the reason.
        }
        this.#tally.refused.add(reason);
        const retryS = Number(res.headers['retry-after'] ?? 1);
        await sleep(Math.min(Math.max(retryS, 0.1) * 1000, Math.max(0, this.#deadlineMs - this.#now())));
        continue;
      }
      this.#tally.errors.add(`listen_http_${res.status}`);
      return undefined;
    }
    return undefined;
  }

  #get(path: string, keepBody: boolean) {
    return this.#pool.send('GET', path, { headers: { cookie: `rostra_ticket=${this.#ticket}` }, keepBody });
  }

  async #play(playlistPath: string, heartbeatSeconds: number): Promise<void> {
    let res = await this.#get(playlistPath, true);
    if (res.status !== 200) return this.#tally.errors.add(`playlist_http_${res.status}`);
    const variant = variantUri(res.body);
    const mediaPath = variant ? new URL(variant, `http://x${playlistPath}`).pathname : playlistPath;
    if (variant) res = await this.#get(mediaPath, true);
    if (res.status !== 200) return this.#tally.errors.add(`playlist_http_${res.status}`);
    let playlist = parseMediaPlaylist(res.body);
    this.#meter = new StallMeter(1.5 * (playlist.partTargetS || 0.5) * 1000);
    // Start at the live edge: the newest complete part, as a low-latency player does.
    let last: PartRef | undefined = playlist.parts[playlist.parts.length - 1];
    if (last) await this.#fetchPart(mediaPath, last, false);
    let nextHeartbeat = this.#now() + heartbeatSeconds * 1000;
    while (this.#live && !playlist.ended) {
      if (this.#now() >= nextHeartbeat) {
        nextHeartbeat += heartbeatSeconds * 1000;
        void this.#heartbeat();
      }
      const hint = playlist.hint;
      const q = hint ? `?_HLS_msn=${hint.msn}&_HLS_part=${hint.index}&_HLS_skip=YES` : '';
      res = await this.#get(mediaPath + q, true);
      if (res.status !== 200) {
        this.#tally.errors.add(`playlist_http_${res.status}`);
        await sleep(Math.min(1000, (playlist.partTargetS || 0.5) * 1000));
        continue;
      }
      playlist = parseMediaPlaylist(res.body);
      const fresh = last ? playlist.parts.filter((p) => comparePos(p, last as PartRef) > 0) : playlist.parts;
      const first = playlist.parts[0];
      if (
        last &&
        first &&
        comparePos(first, last) > 1 &&
        !playlist.parts.some((p) => comparePos(p, last as PartRef) === 0)
      )
        this.#meter.skipped(1);
      for (const part of fresh) {
        if (!this.#live) return;
        await this.#fetchPart(mediaPath, part, true);
        last = part;
      }
    }
  }

  async #fetchPart(mediaPath: string, part: PartRef, measured: boolean): Promise<void> {
    const res = await this.#get(new URL(part.uri, `http://x${mediaPath}`).pathname, false);
    if (res.status !== 200) return this.#tally.errors.add(`part_http_${res.status}`);
    if (!measured || !Number.isFinite(part.publishedMs)) return;
    const now = Date.now();
    this.#tally.parts++;
    this.#tally.delay.record(now - part.publishedMs);
    if (this.#meter?.delivered(part.publishedMs, now)) this.#tally.stalls++;
  }

  async #heartbeat(): Promise<void> {
    try {
      const res = await this.#pool.send('POST', `/api/v1/spaces/${this.#target.spaceId}/heartbeat`, {
        json: { ticket: this.#ticket },
        keepBody: true,
      });
      if (res.status === 200) this.#ticket = (JSON.parse(res.body) as { ticket: string }).ticket;
      else this.#tally.errors.add(`heartbeat_http_${res.status}`);
    } catch (err) {
      if (this.#live) this.#tally.errors.add((err as NodeJS.ErrnoException).code ?? 'error');
    }
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
