/**
 * The Bus for a cluster: Redis pub/sub, presence in sorted sets, counters with INCR. One connection for
 * commands, and one for subscriptions, opened at the first subscribe (a subscribed connection can run no
 * other command). Every key and channel starts with the prefix, so deployments and test runs can share a
 * Redis. Connections reconnect on their own (ioredis), re-subscribing; errors are logged, never thrown
 * at the process. Pub/sub is at-most-once: messages published while a node is disconnected are lost to it.
 */
import { Redis, type ChainableCommander } from 'ioredis';
import { logger } from '../log/Logger.js';
import type { Bus, BusMessage, CounterWindow, Counters, Leases, Uniques, Unsubscribe } from './Bus.js';
import { RedisPresence, type RedisPresenceOptions } from './RedisPresence.js';
import { RedisWriteBatch, type BatchSource, type Drained } from './RedisWriteBatch.js';

const log = logger('bus.redis');

type Handler = (message: BusMessage) => void;

/**
 * KEYS: counter. ARGV: window ms. INCR, PEXPIRE NX so only the window's first hit sets its end (Redis
 * ≥ 7), and PTTL: one command on the wire where MULTI … EXEC took five, on every join's path (1 Dec,
 * joinpath bench: a ticket cost Redis 32 µs and the node 204-234 µs of CPU with its two limits as
 * transactions and its unique count written alone; 20 and 96-99 µs with this and batched unique counts).
 */
const COUNT_HIT = `
local n = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1], 'NX')
return {n, redis.call('PTTL', KEYS[1])}`;

type CounterRedis = Redis & { rostraCountHit(key: string, windowMs: number): Promise<[number, number]> };

class RedisCounters implements Counters {
  readonly #redis: CounterRedis;
  readonly #prefix: string;

  constructor(redis: Redis, prefix: string) {
    if (!('rostraCountHit' in redis))
      redis.defineCommand('rostraCountHit', { numberOfKeys: 1, lua: COUNT_HIT });
    this.#redis = redis as CounterRedis;
    this.#prefix = prefix;
  }

  async hit(key: string, windowMs: number): Promise<number> {
    return (await this.take(key, windowMs)).count;
  }

  /** The count, this hit included, and when its window ends. */
  async take(key: string, windowMs: number): Promise<CounterWindow> {
    const [n, ttl] = await this.#redis.rostraCountHit(`${this.#prefix}hits:${key}`, windowMs);
    return { count: Number(n), resetInMs: ttl > 0 ? ttl : windowMs };
  }

  async peek(key: string): Promise<CounterWindow> {
    const k = `${this.#prefix}hits:${key}`;
    const res = await this.#redis.multi().get(k).pttl(k).exec();
    const count = Number(res?.[0]?.[1] ?? 0);
    const ttl = Number(res?.[1]?.[1] ?? 0);
    // PTTL 0 is a key in its last millisecond, still counted by the next INCR: report it, not an empty
    // window (-2 is no key; -1, no expiry, is never set by take/hit).
    if (!Number.isFinite(count) || count <= 0 || ttl < 0) return { count: 0, resetInMs: 0 };
    return { count, resetInMs: ttl };
  }
}

/** KEYS: lease. ARGV: holder, ttl ms. Free → taken; already ours → extended; another's → 0. */
const LEASE_ACQUIRE = `
local current = redis.call('GET', KEYS[1])
if current == false then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
if current == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0`;

/** KEYS: lease. ARGV: holder, ttl ms. Extends only a lease that is still ours. */
const LEASE_RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0`;

/** KEYS: lease. ARGV: holder. Deletes only a lease that is still ours. */
const LEASE_RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

type LeaseRedis = Redis & {
  rostraLeaseAcquire(key: string, holder: string, ttlMs: number): Promise<number>;
  rostraLeaseRenew(key: string, holder: string, ttlMs: number): Promise<number>;
  rostraLeaseRelease(key: string, holder: string): Promise<number>;
};

/** The single-instance Redis lock pattern (redis.io, "Distributed Locks"): SET NX PX + compare-and-set. */
class RedisLeases implements Leases {
  readonly #redis: LeaseRedis;
  readonly #prefix: string;

  constructor(redis: Redis, prefix: string) {
    if (!('rostraLeaseAcquire' in redis)) {
      redis.defineCommand('rostraLeaseAcquire', { numberOfKeys: 1, lua: LEASE_ACQUIRE });
      redis.defineCommand('rostraLeaseRenew', { numberOfKeys: 1, lua: LEASE_RENEW });
      redis.defineCommand('rostraLeaseRelease', { numberOfKeys: 1, lua: LEASE_RELEASE });
    }
    this.#redis = redis as LeaseRedis;
    this.#prefix = prefix;
  }

  #key(key: string): string {
    return `${this.#prefix}lease:${key}`;
  }

  async acquire(key: string, holder: string, ttlMs: number): Promise<boolean> {
    return (await this.#redis.rostraLeaseAcquire(this.#key(key), holder, Math.ceil(ttlMs))) === 1;
  }

  async renew(key: string, holder: string, ttlMs: number): Promise<boolean> {
    return (await this.#redis.rostraLeaseRenew(this.#key(key), holder, Math.ceil(ttlMs))) === 1;
  }

  async release(key: string, holder: string): Promise<void> {
    await this.#redis.rostraLeaseRelease(this.#key(key), holder);
  }

  async holder(key: string): Promise<string | null> {
    return this.#redis.get(this.#key(key));
  }
}

/**
 * Unique members in HyperLogLogs. Adds are gathered in the node's write batch (RedisWriteBatch, with the
 * presence touches of the same joins) and sent as one PFADD of many members and a PEXPIRE per key.
 */
class RedisUniques implements Uniques, BatchSource {
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #batch: RedisWriteBatch;
  /** key → members and the ttl of its last add (the key is forgotten that long after it, as in memory) */
  #pending = new Map<string, { members: Set<string>; ttlMs: number }>();
  #waiters: { resolve: () => void; reject: (err: unknown) => void }[] = [];

  constructor(redis: Redis, prefix: string, batch: RedisWriteBatch) {
    this.#redis = redis;
    this.#prefix = prefix;
    this.#batch = batch;
    batch.register(this);
  }

  add(key: string, member: string, ttlMs: number): Promise<void> {
    const k = `${this.#prefix}uniques:${key}`;
    const entry = this.#pending.get(k);
    if (entry) {
      entry.members.add(member);
      entry.ttlMs = ttlMs;
    } else this.#pending.set(k, { members: new Set([member]), ttlMs });
    this.#batch.schedule();
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }

  drain(pipe: ChainableCommander): Drained | undefined {
    const [pending, waiters] = [this.#pending, this.#waiters];
    this.#pending = new Map();
    this.#waiters = [];
    if (waiters.length === 0) return undefined;
    let commands = 0;
    for (const [k, { members, ttlMs }] of pending) {
      const all = [...members];
      // Bounded arguments per command, however large the batch.
      for (let i = 0; i < all.length; i += 1000, commands++) pipe.pfadd(k, ...all.slice(i, i + 1000));
      pipe.pexpire(k, Math.ceil(ttlMs));
      commands++;
    }
    return {
      commands,
      settle: (err) => {
        if (err === undefined) for (const w of waiters) w.resolve();
        else {
          log.warn({ err, adds: waiters.length }, 'unique counts could not be written');
          for (const w of waiters) w.reject(err);
        }
      },
    };
  }

  async count(key: string): Promise<number> {
    return this.#redis.pfcount(`${this.#prefix}uniques:${key}`);
  }
}

export interface RedisBusOptions {
  /** `redis://host:port/db`. */
  url: string;
  /** Put before every key and channel (default `rostra:`). */
  prefix?: string;
  /** Presence: sorted sets per room, and how long touches are gathered per write (RedisPresence). */
  presence?: RedisPresenceOptions;
}

interface Channel {
  handlers: Set<Handler>;
  /** Resolves once Redis confirmed the SUBSCRIBE; every subscriber of the channel waits for it. */
  ready: Promise<unknown>;
}

export class RedisBus implements Bus {
  readonly kind = 'redis' as const;
  readonly presence: RedisPresence;
  readonly counters: RedisCounters;
  readonly leases: RedisLeases;
  readonly uniques: RedisUniques;
  readonly #redis: Redis;
  /** Presence touches and unique counts, gathered and sent together. */
  readonly #batch: RedisWriteBatch;
  readonly #url: string;
  readonly #prefix: string;
  readonly #channels = new Map<string, Channel>();
  #sub: Redis | undefined;
  #closing: Promise<void> | undefined;

  private constructor(redis: Redis, opts: RedisBusOptions) {
    this.#redis = redis;
    this.#url = opts.url;
    this.#prefix = opts.prefix ?? 'rostra:';
    this.#batch = new RedisWriteBatch(redis, opts.presence?.flushMs ?? 100);
    this.presence = new RedisPresence(redis, this.#prefix, this.#batch, opts.presence);
    this.counters = new RedisCounters(redis, this.#prefix);
    this.leases = new RedisLeases(redis, this.#prefix);
    this.uniques = new RedisUniques(redis, this.#prefix, this.#batch);
  }

  /** Connects the command connection (rejects if Redis cannot be reached now). */
  static async open(opts: RedisBusOptions): Promise<RedisBus> {
    const redis = connection(opts.url, `${opts.prefix ?? 'rostra:'}commands`);
    try {
      await redis.connect();
    } catch (err) {
      redis.disconnect();
      throw err;
    }
    return new RedisBus(redis, opts);
  }

  async publish(channel: string, message: BusMessage): Promise<void> {
    if (this.#closing) {
      log.debug({ channel }, 'publish after close dropped');
      return;
    }
    await this.#redis.publish(this.#prefix + channel, JSON.stringify(message));
  }

  async subscribe(channel: string, handler: (message: BusMessage) => void): Promise<Unsubscribe> {
    if (this.#closing) throw new Error('RedisBus: subscribe after close');
    const full = this.#prefix + channel;
    const own: Handler = (m) => handler(m); // distinct per subscription
    let ch = this.#channels.get(full);
    if (!ch) {
      ch = { handlers: new Set(), ready: this.#subscriber().subscribe(full) };
      this.#channels.set(full, ch);
    }
    ch.handlers.add(own);
    try {
      await ch.ready;
    } catch (err) {
      ch.handlers.delete(own);
      if (ch.handlers.size === 0 && this.#channels.get(full) === ch) this.#channels.delete(full);
      throw err;
    }
    let done = false;
    return async () => {
      if (done) return;
      done = true;
      const current = this.#channels.get(full);
      if (!current?.handlers.delete(own) || current.handlers.size > 0) return;
      this.#channels.delete(full);
      // Commands on one connection run in order: a later SUBSCRIBE to this channel still wins.
      if (!this.#closing) await this.#sub?.unsubscribe(full);
    };
  }

  #subscriber(): Redis {
    if (this.#sub) return this.#sub;
    const sub = connection(this.#url, `${this.#prefix}subscriptions`);
    sub.on('message', (channel: string, raw: string) => this.#deliver(channel, raw));
    this.#sub = sub;
    return sub; // lazyConnect: the first SUBSCRIBE connects it
  }

  /** Each handler gets its own parse, so no subscriber sees another's changes (as MemoryBus does). */
  #deliver(channel: string, raw: string): void {
    const ch = this.#channels.get(channel);
    if (!ch) return;
    for (const handler of [...ch.handlers]) {
      let message: BusMessage;
      try {
        message = JSON.parse(raw) as BusMessage;
      } catch (err) {
        log.warn({ err, channel }, 'unparsable bus message dropped');
        return;
      }
      try {
        handler(message);
      } catch (err) {
        log.error({ err, channel }, 'bus handler threw');
      }
    }
  }

  /** Quits both connections (gracefully, or at once if that fails); idempotent. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#channels.clear();
      await this.#batch.flush(); // a failed write is logged, and its waiters told, by its source
      await Promise.all([quit(this.#redis), this.#sub ? quit(this.#sub) : undefined]);
    })();
    return this.#closing;
  }
}

/** `name` shows in CLIENT LIST (operators, and tests that cut a connection on purpose). */
function connection(url: string, name: string): Redis {
  const redis = new Redis(url, {
    lazyConnect: true,
    connectionName: name,
    // A command waits through at most a few reconnect attempts, then fails to its caller.
    maxRetriesPerRequest: 3,
    retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
  });
  // Without an 'error' listener, ioredis errors would be unhandled and crash the process.
  redis.on('error', (err) => log.warn({ err, connection: name }, 'Redis connection error'));
  return redis;
}

async function quit(redis: Redis): Promise<void> {
  if (redis.status === 'end' || redis.status === 'wait') {
    redis.disconnect();
    return;
  }
  try {
    await redis.quit();
  } catch (err) {
    log.debug({ err }, 'QUIT failed; disconnecting');
    redis.disconnect();
  }
}
