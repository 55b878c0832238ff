/**
 * The default Bus for a single node: everything in this process. Several MemoryBus instances may share one
 * MemoryHub and then behave like several nodes on one Redis (multi-node tests without Redis).
 */
import { logger } from '../log/Logger.js';
import type { Bus, BusMessage, Counters, Unsubscribe } from './Bus.js';
import { MemoryPresence } from './MemoryPresence.js';

const log = logger('bus.memory');

type Handler = (message: BusMessage) => void;

/** Fixed windows per key: the first hit opens a window of `windowMs`, as INCR + PEXPIRE NX does in Redis. */
class MemoryCounters implements Counters {
  readonly #windows = new Map<string, { count: number; resetAt: number }>();

  async hit(key: string, windowMs: number): Promise<number> {
    const now = Date.now();
    const w = this.#windows.get(key);
    if (!w || w.resetAt <= now) {
      this.#windows.set(key, { count: 1, resetAt: now + windowMs });
      return 1;
    }
    return ++w.count;
  }

  sweep(now: number): void {
    for (const [key, w] of this.#windows) if (w.resetAt <= now) this.#windows.delete(key);
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
  readonly #hub: MemoryHub;
  /** This instance's subscriptions, so close() removes exactly them from a shared hub. */
  readonly #subscriptions = new Set<{ channel: string; handler: Handler }>();
  #closed = false;

  constructor(opts: MemoryBusOptions = {}) {
    this.#hub = opts.hub ?? new MemoryHub(opts);
    this.#hub.attach();
    this.presence = this.#hub.presence;
    this.counters = this.#hub.counters;
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
