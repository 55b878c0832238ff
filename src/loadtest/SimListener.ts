/**
 * One simulated LL-HLS listener: asks to listen (waits out 503 + Retry-After), then plays like a player
 * without decoding: a blocking reload for the part named in the preload hint, every new part fetched in
 * order, a heartbeat every `heartbeatSeconds`. No timer of its own: it is one async loop.
 */
import { gunzipSync } from 'node:zlib';
import type { HttpConnection, HttpPool, Keep } from './HttpPool.js';
import {
  comparePos,
  firstVariant,
  listedParts,
  parseMediaPlaylist,
  partEndMs,
  StallMeter,
  type MediaPlaylist,
  type PartRef,
  type StallEvent,
} from '../listener/index.js';
import { ApiError, RostraClient } from '../client/index.js';
import { TICKET_COOKIE } from '../contract/index.js';
import { Counter, DelayHistogram } from './Stats.js';

/**
 * Asked with every request, as a browser asks: the origin and the edges gzip playlists for clients that
 * take it, and an edge unpacks them for one that does not (work a real audience never causes).
 */
const ACCEPT_GZIP = ['accept-encoding', 'gzip'];

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
  /** Told every measured part's delay and when it was published (wall clock, ms): where late parts fall. */
  readonly onPartDelay?: ((delayMs: number, publishedMs: number) => void) | undefined;
}

export function newTally(onPartDelay?: Tally['onPartDelay']): Tally {
  return {
    delay: new DelayHistogram(),
    errors: new Counter(),
    refused: new Counter(),
    connected: 0,
    stalls: 0,
    parts: 0,
    firstJoinMs: 0,
    lastJoinMs: 0,
    onPartDelay,
  };
}

export interface ListenerTarget {
  spaceId: string;
  /** Path prefix of the live directory, e.g. `/live/<id>/`. */
  liveDir: string;
}

export class SimListener {
  readonly #pool: HttpPool;
  /** The listener's one keep-alive connection: API calls and media, one request at a time. */
  readonly #conn: HttpConnection;
  readonly #client: RostraClient;
  readonly #target: ListenerTarget;
  readonly #tally: Tally;
  readonly #deadlineMs: number;
  readonly #now: () => number;
  #ticket = '';
  #cookie: string[] = ACCEPT_GZIP;
  #cookieTicket: string | undefined;

  constructor(pool: HttpPool, target: ListenerTarget, tally: Tally, deadlineMs: number, now: () => number) {
    this.#pool = pool;
    this.#conn = pool.connect();
    this.#client = new RostraClient(this.#conn.transport, { origin: pool.origin });
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
    this.#conn.close();
  }

  /** Stops being counted at once, as a player closing its page does (else the count lags a ticket life). */
  async #leave(): Promise<void> {
    if (this.#ticket === '' || this.#pool.closed) return;
    const ticket = this.#ticket;
    this.#ticket = '';
    try {
      const res = await this.#conn.send('POST', `/api/v1/spaces/${this.#target.spaceId}/leave`, { ticket });
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

  #get(path: string, keep: Keep) {
    if (this.#cookieTicket !== this.#ticket) {
      this.#cookieTicket = this.#ticket;
      this.#cookie = ['cookie', `${TICKET_COOKIE}=${this.#ticket}`, ...ACCEPT_GZIP];
    }
    return this.#conn.request('GET', path, this.#cookie, null, keep);
  }

  async #play(playlistPath: string, heartbeatSeconds: number): Promise<void> {
    let res = await this.#get(playlistPath, 'bytes');
    if (res.status !== 200) return this.#tally.errors.add(`playlist_http_${res.status}`);
    const variant = firstVariant(playlistText(res.raw));
    const mediaPath = variant ? new URL(variant, `http://x${playlistPath}`).pathname : playlistPath;
    if (variant) res = await this.#get(mediaPath, 'bytes');
    if (res.status !== 200) return this.#tally.errors.add(`playlist_http_${res.status}`);
    let { playlist, parts } = parsePlaylist(res.raw);
    const partTargetS = playlist.partTarget ?? playlist.targetDuration;
    const meter = new StallMeter({ partTargetS });
    // Start at the live edge: the newest complete part, as a low-latency player does.
    let last: PartRef | undefined = parts.at(-1);
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
        res = await this.#get(mediaPath + q, 'bytes');
        this.#count(meter.tick(this.#now()));
        if (res.status !== 200) {
          this.#tally.errors.add(`playlist_http_${res.status}`);
          await sleep(Math.min(1000, partTargetS * 1000));
          // Ask for the playlist as it is next time (a restarted origin refuses an MSN it has not reached).
          if (res.status === 400) res = await this.#get(mediaPath, 'bytes');
          if (res.status !== 200) continue;
        }
        ({ playlist, parts } = parsePlaylist(res.raw));
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
    const res = await this.#get(partPath(mediaPath, part.uri), 'count');
    if (res.status !== 200) return this.#tally.errors.add(`part_http_${res.status}`);
    this.#count(meter.onAudio(this.#now(), part.duration));
    const publishedMs = partEndMs(part);
    if (!measured || !Number.isFinite(publishedMs)) return;
    this.#tally.parts++;
    const delayMs = Date.now() - publishedMs;
    this.#tally.delay.record(delayMs);
    this.#tally.onPartDelay?.(delayMs, publishedMs);
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

interface ParsedPlaylist {
  readonly playlist: MediaPlaylist;
  /** Every part it lists, oldest first (listedParts). */
  readonly parts: readonly PartRef[];
}

/** Playlists parsed lately, newest first, by their bytes: a handful covers the renderings in use. */
const parsed: { bytes: Buffer; playlist: ParsedPlaylist }[] = [];
const PARSED_KEPT = 16;

/**
 * A playlist's parse, shared: a crowd's blocking reloads all wake on the same part and are handed the
 * same bytes (the origin renders them once per change), so each playlist is decoded and parsed once, not
 * once per listener; a listener only compares bytes. What comes back is shared and must not be changed.
 */
export function parsePlaylist(bytes: Buffer | undefined): ParsedPlaylist {
  const body = bytes ?? Buffer.alloc(0);
  // Compared as they came (gzip'd or not): the crowd's copies are the same bytes, unpacked once.
  for (const p of parsed) if (p.bytes.equals(body)) return p.playlist;
  const playlist = parseMediaPlaylist(playlistText(body));
  const p = { playlist, parts: listedParts(playlist) };
  // A copy: the answer's bytes may be a view of a larger socket buffer.
  parsed.unshift({ bytes: Buffer.from(body), playlist: p });
  if (parsed.length > PARSED_KEPT) parsed.pop();
  return p;
}

/** A playlist answer's text, unpacked when it came gzip'd (its magic bytes; the generator asks for gzip). */
export function playlistText(bytes: Buffer | undefined): string {
  if (!bytes) return '';
  return bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes).toString() : bytes.toString();
}

/** A part's path: a plain file name sits beside the media playlist; anything else is resolved as a URL. */
export function partPath(mediaPath: string, uri: string): string {
  if (/^[\w-][\w.-]*$/.test(uri)) return mediaPath.slice(0, mediaPath.lastIndexOf('/') + 1) + uri;
  return new URL(uri, `http://x${mediaPath}`).pathname;
}

/** Whether parts were lost between the last one fetched and the oldest one listed now. */
export function lostBetween(last: PartRef, oldest: PartRef): boolean {
  if (comparePos(oldest, last) <= 0) return false;
  const next = oldest.msn === last.msn && oldest.index === last.index + 1;
  const nextSegment = oldest.msn === last.msn + 1 && oldest.index === 0;
  return !next && !nextSegment;
}
