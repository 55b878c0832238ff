/**
 * Presence in one process. Per room:
 * - `members`: an ExpiringSet (member → expiry, swept in O(expired)), for count and lookups.
 * - `listed`: listed member → arrival number, plus an append-only index (`log`) sorted by arrival number.
 *   A page binary-searches the cursor (an arrival number) and reads on: O(log n + page). Entries of
 *   members who left stay in the index as tombstones until it is compacted.
 */
import { RostraError } from '../errors/index.js';
import type { Presence, PresencePage } from './Bus.js';
import { ExpiringSet } from '../util/ExpiringSet.js';

class Room {
  readonly members = new ExpiringSet();
  readonly listed = new Map<string, number>();
  log: string[] = [];
  logSeq: number[] = [];
  nextSeq = 1;
  tombstones = 0;

  touch(member: string, until: number): void {
    this.members.touch(member, until);
  }

  remove(member: string): void {
    this.members.delete(member);
    this.#unlist(member);
  }

  /** Drops members whose expiry is at or before `now`. */
  sweep(now: number): void {
    this.members.sweep(now, (member) => this.#unlist(member));
    if (this.tombstones > 64 && this.tombstones > this.listed.size) this.compact();
  }

  #unlist(member: string): void {
    if (this.listed.delete(member)) this.tombstones++;
  }

  compact(): void {
    this.log = [...this.listed.keys()];
    this.logSeq = [...this.listed.values()];
    this.tombstones = 0;
  }
}

export class MemoryPresence implements Presence {
  readonly #rooms = new Map<string, Room>();

  async touch(room: string, member: string, ttlMs: number, listed: boolean): Promise<void> {
    let r = this.#rooms.get(room);
    if (!r) {
      r = new Room();
      this.#rooms.set(room, r);
    }
    r.touch(member, Date.now() + ttlMs);
    // Listing is sticky while the member stays: a listed member's unlisted touch does not unlist them.
    if (listed && !r.listed.has(member)) {
      const seq = r.nextSeq++;
      r.listed.set(member, seq);
      r.log.push(member);
      r.logSeq.push(seq);
    }
  }

  async leave(room: string, member: string): Promise<void> {
    this.#rooms.get(room)?.remove(member);
  }

  async count(room: string): Promise<number> {
    const r = this.#live(room, Date.now());
    return r ? r.members.size : 0;
  }

  async list(room: string, opts: { limit: number; cursor?: string }): Promise<PresencePage> {
    if (!Number.isInteger(opts.limit) || opts.limit < 1)
      throw new TypeError('limit must be a positive integer');
    const after = opts.cursor === undefined ? 0 : decodeSeq(opts.cursor);
    const r = this.#live(room, Date.now());
    if (!r) return { members: [], nextCursor: null };
    const members: string[] = [];
    let lastSeq = 0;
    for (let i = lowerBound(r.logSeq, after + 1); i < r.log.length; i++) {
      const member = r.log[i] as string;
      const seq = r.logSeq[i] as number;
      if (r.listed.get(member) !== seq) continue; // a tombstone: left, or left and came back later
      if (members.length === opts.limit) return { members, nextCursor: String(lastSeq) };
      members.push(member);
      lastSeq = seq;
    }
    return { members, nextCursor: null };
  }

  async clear(room: string): Promise<void> {
    this.#rooms.delete(room);
  }

  /** Sweeps every room and forgets the empty ones (rooms nobody reads any more). */
  sweepAll(now: number): void {
    for (const room of this.#rooms.keys()) this.#live(room, now);
  }

  #live(room: string, now: number): Room | undefined {
    const r = this.#rooms.get(room);
    if (!r) return undefined;
    r.sweep(now);
    if (r.members.size > 0) return r;
    this.#rooms.delete(room);
    return undefined;
  }
}

function decodeSeq(cursor: string): number {
  const n = /^\d{1,15}$/.test(cursor) ? Number(cursor) : NaN;
  if (!Number.isSafeInteger(n))
    throw new RostraError('validation_failed', 'The cursor is not one this server gave out.');
  return n;
}

/** The first index whose value is >= x, in an ascending array. */
function lowerBound(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
