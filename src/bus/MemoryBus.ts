/** The default Bus for a single node: everything in this process. */
import { logger } from '../log/Logger.js';
import type { Bus, BusMessage, Counters, Presence, PresencePage, Unsubscribe } from './Bus.js';

const log = logger('bus.memory');
const SWEEP_MS = 10_000;

interface Room {
  /** member → expiry; re-inserted on touch, so iteration order is expiry order (one ttl per room). */
  members: Map<string, number>;
  listed: Set<string>;
}

class MemoryPresence implements Presence {
  readonly rooms = new Map<string, Room>();

  async touch(room: string, member: string, ttlMs: number, listed: boolean): Promise<void> {
    let r = this.rooms.get(room);
    if (!r) {
      r = { members: new Map(), listed: new Set() };
      this.rooms.set(room, r);
    }
    r.members.delete(member);
    r.members.set(member, Date.now() + ttlMs);
    if (listed) r.listed.add(member);
  }

  async leave(room: string, member: string): Promise<void> {
    const r = this.rooms.get(room);
    if (!r) return;
    r.members.delete(member);
    r.listed.delete(member);
  }

  async count(room: string): Promise<number> {
    const r = this.rooms.get(room);
    if (!r) return 0;
    this.sweep(room, r, Date.now());
    return r.members.size;
  }

  async list(room: string, opts: { limit: number; cursor?: string }): Promise<PresencePage> {
    const r = this.rooms.get(room);
    if (!r) return { members: [], nextCursor: null };
    this.sweep(room, r, Date.now());
    // Sorting is O(n log n) per page; fine for one node's signed-in listeners. Redis keeps a sorted set.
    const sorted = [...r.listed].sort();
    const start = opts.cursor === undefined ? 0 : sorted.findIndex((m) => m > (opts.cursor as string));
    const from = start < 0 ? sorted.length : start;
    const members = sorted.slice(from, from + opts.limit);
    const more = from + opts.limit < sorted.length;
    return { members, nextCursor: more ? (members[members.length - 1] ?? null) : null };
  }

  async clear(room: string): Promise<void> {
    this.rooms.delete(room);
  }

  sweep(room: string, r: Room, now: number): void {
    for (const [member, until] of r.members) {
      if (until > now) break;
      r.members.delete(member);
      r.listed.delete(member);
    }
    if (r.members.size === 0) this.rooms.delete(room);
  }
}

class MemoryCounters implements Counters {
  readonly windows = new Map<string, { count: number; resetAt: number }>();

  async hit(key: string, windowMs: number): Promise<number> {
    const now = Date.now();
    const w = this.windows.get(key);
    if (!w || w.resetAt <= now) {
      this.windows.set(key, { count: 1, resetAt: now + windowMs });
      return 1;
    }
    w.count++;
    return w.count;
  }

  sweep(now: number): void {
    for (const [key, w] of this.windows) if (w.resetAt <= now) this.windows.delete(key);
  }
}

export class MemoryBus implements Bus {
  readonly kind = 'memory' as const;
  readonly presence = new MemoryPresence();
  readonly counters = new MemoryCounters();
  readonly #channels = new Map<string, Set<(m: BusMessage) => void>>();
  readonly #timer: NodeJS.Timeout;
  #closed = false;

  constructor() {
    // Rooms and windows nobody reads any more are swept here; busy ones are swept as they are read.
    this.#timer = setInterval(() => {
      const now = Date.now();
      for (const [room, r] of this.presence.rooms) this.presence.sweep(room, r, now);
      this.counters.sweep(now);
    }, SWEEP_MS).unref();
  }

  async publish(channel: string, message: BusMessage): Promise<void> {
    if (this.#closed) return;
    const handlers = this.#channels.get(channel);
    if (!handlers || handlers.size === 0) return;
    // A JSON copy, as Redis would deliver: no subscriber can see or change the publisher's object.
    const json = JSON.stringify(message);
    for (const handler of [...handlers]) {
      queueMicrotask(() => {
        try {
          handler(JSON.parse(json) as BusMessage);
        } catch (err) {
          log.error({ err, channel }, 'bus handler threw');
        }
      });
    }
  }

  async subscribe(channel: string, handler: (message: BusMessage) => void): Promise<Unsubscribe> {
    let set = this.#channels.get(channel);
    if (!set) {
      set = new Set();
      this.#channels.set(channel, set);
    }
    const own = (m: BusMessage) => handler(m); // a distinct function, so the same handler can subscribe twice
    set.add(own);
    return async () => {
      const s = this.#channels.get(channel);
      if (!s) return;
      s.delete(own);
      if (s.size === 0) this.#channels.delete(channel);
    };
  }

  /** Channels with at least one subscriber (leak checks). */
  get channelCount(): number {
    return this.#channels.size;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    this.#channels.clear();
  }
}
