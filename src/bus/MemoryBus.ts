/**
 * The default Bus for a single node: everything in this process. Several MemoryBus instances may share one
 * MemoryHub and then behave like several nodes on one Redis (multi-node tests without Redis).
 */
import { logger } from '../log/Logger.js';
import type { Bus, BusMessage, CounterWindow, Counters, Leases, Uniques, Unsubscribe } from './Bus.js';
import { MemoryPresence } from './MemoryPresence.js';

const log = logger('bus.memory');

type Handler = (message: BusMessage) => void;

/** Fixed windows per key: the first hit opens a window of `windowMs`, as INCR + PEXPIRE NX does in Redis. */
class MemoryCounters implements Counters {
  readonly #windows = new Map<string, { count: number; resetAt: number }>();

  async hit(key: string, windowMs: number): Promise<number> {
    return this.#take(key, windowMs).count;
  }

  async take(key: string, windowMs: number): Promise<CounterWindow> {
    return this.#take(key, windowMs);
  }

  async peek(key: string): Promise<CounterWindow> {
    const now = Date.now();
    const w = this.#windows.get(key);
    if (!w || w.resetAt <= now) return { count: 0, resetInMs: 0 };
    return { count: w.count, resetInMs: w.resetAt - now };
  }

  #take(key: string, windowMs: number): CounterWindow {
    const now = Date.now();
    const w = this.#windows.get(key);
    if (!w || w.resetAt <= now) {
      this.#windows.set(key, { count: 1, resetAt: now + windowMs });
      return { count: 1, resetInMs: windowMs };
    }
    return { count: ++w.count, resetInMs: w.resetAt - now };
  }

  sweep(now: number): void {
    for (const [key, w] of this.#windows) if (w.resetAt <= now) this.#windows.delete(key);
  }
}

/** Leases in one process: a holder and an expiry per key, checked when read. */
class MemoryLeases implements Leases {
  readonly #leases = new Map<string, { holder: string; until: number }>();

  #current(key: string, now: number): string | null {
    const l = this.#leases.get(key);
    if (!l) return null;
    if (l.until > now) return l.holder;
    this.#leases.delete(key);
    return null;
  }

  async acquire(key: string, holder: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    const current = this.#current(key, now);
    if (current !== null && current !== holder) return false;
    this.#leases.set(key, { holder, until: now + ttlMs });
    return true;
  }

  async renew(key: string, holder: string, ttlMs: number): Promise<boolean> {
    const now = Date.now();
    if (this.#current(key, now) !== holder) return false;
    this.#leases.set(key, { holder, until: now + ttlMs });
    return true;
  }

  async release(key: string, holder: string): Promise<void> {
    if (this.#current(key, Date.now()) === holder) this.#leases.delete(key);
  }

  async holder(key: string): Promise<string | null> {
    return this.#current(key, Date.now());
  }
}

/** Exact distinct counts in one process; a key expires ttl after its last add, as in Redis. */
class MemoryUniques implements Uniques {
  readonly #sets = new Map<string, { members: Set<string>; until: number }>();

  async add(key: string, member: string, ttlMs: number): Promise<void> {
    const now = Date.now();
    let s = this.#sets.get(key);
    if (!s || s.until <= now) this.#sets.set(key, (s = { members: new Set(), until: 0 }));
    s.members.add(member);
    s.until = now + ttlMs;
  }

  async count(key: string): Promise<number> {
    const s = this.#sets.get(key);
    return s && s.until > Date.now() ? s.members.size : 0;
  }

  sweep(now: number): void {
    for (const [key, s] of this.#sets) if (s.until <= now) this.#sets.delete(key);
  }
}

export interface MemoryHubOptions {
  /** How often idle rooms and old counter windows are swept (default 10 000 ms). */
  sweepIntervalMs?: number;
}

/** The shared state of the MemoryBus instances that stand for one cluster. */
export class MemoryHub {
  readonly presence = new MemoryPresence();
  readonly counters = new MemoryCounters();
  readonly leases = new MemoryLeases();
  readonly uniques = new MemoryUniques();
  readonly #channels = new Map<string, Set<Handler>>();
  readonly #sweepIntervalMs: number;
  #timer: NodeJS.Timeout | undefined;
  #attached = 0;

  constructor(opts: MemoryHubOptions = {}) {
    this.#sweepIntervalMs = opts.sweepIntervalMs ?? 10_000;
  }

  /** Busy rooms are swept as they are read; the timer catches the rooms nobody reads. */
  attach(): void {
    if (this.#attached++ > 0) return;
    this.#timer = setInterval(() => {
      const now = Date.now();
      this.presence.sweepAll(now);
      this.counters.sweep(now);
      this.uniques.sweep(now);
    }, this.#sweepIntervalMs).unref();
  }

  detach(): void {
    if (--this.#attached > 0) return;
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  publish(channel: string, message: BusMessage): void {
    const handlers = this.#channels.get(channel);
    if (!handlers || handlers.size === 0) return;
    // A JSON copy, as Redis delivers: no subscriber sees or changes the publisher's object (or another's).
    const json = JSON.stringify(message);
    for (const handler of handlers) {
      queueMicrotask(() => {
        try {
          handler(JSON.parse(json) as BusMessage);
        } catch (err) {
          log.error({ err, channel }, 'bus handler threw');
        }
      });
    }
  }

  add(channel: string, handler: Handler): void {
    let set = this.#channels.get(channel);
    if (!set) {
      set = new Set();
      this.#channels.set(channel, set);
    }
    set.add(handler);
  }

  remove(channel: string, handler: Handler): void {
    const set = this.#channels.get(channel);
    if (!set?.delete(handler)) return;
    if (set.size === 0) this.#channels.delete(channel);
  }

  /** Channels with at least one subscriber (leak checks in tests). */
  get channelCount(): number {
    return this.#channels.size;
  }
}

export interface MemoryBusOptions extends MemoryHubOptions {
  /** Share state with other MemoryBus instances (default: a hub of its own). */
  hub?: MemoryHub;
}

export class MemoryBus implements Bus {
  readonly kind = 'memory' as const;
  readonly presence: MemoryPresence;
  readonly counters: MemoryCounters;
  readonly leases: Leases;
  readonly uniques: Uniques;
  readonly #hub: MemoryHub;
  /** This instance's subscriptions, so close() removes exactly them from a shared hub. */
  readonly #subscriptions = new Set<{ channel: string; handler: Handler }>();
  #closed = false;

  constructor(opts: MemoryBusOptions = {}) {
    this.#hub = opts.hub ?? new MemoryHub(opts);
    this.#hub.attach();
    this.presence = this.#hub.presence;
    this.counters = this.#hub.counters;
    this.leases = this.#hub.leases;
    this.uniques = this.#hub.uniques;
  }

  /** Delivered in a later microtask, never during publish(). After close: dropped. */
  async publish(channel: string, message: BusMessage): Promise<void> {
    if (this.#closed) {
      log.debug({ channel }, 'publish after close dropped');
      return;
    }
    this.#hub.publish(channel, message);
  }

  async subscribe(channel: string, handler: (message: BusMessage) => void): Promise<Unsubscribe> {
    if (this.#closed) throw new Error('MemoryBus: subscribe after close');
    // A distinct function per subscription, so one handler subscribed twice is called twice.
    const sub = { channel, handler: (m: BusMessage) => handler(m) };
    this.#subscriptions.add(sub);
    this.#hub.add(channel, sub.handler);
    return async () => {
      if (!this.#subscriptions.delete(sub)) return;
      this.#hub.remove(channel, sub.handler);
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const sub of this.#subscriptions) this.#hub.remove(sub.channel, sub.handler);
    this.#subscriptions.clear();
    this.#hub.detach();
  }
}
