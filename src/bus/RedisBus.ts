/**
 * The Bus for a cluster: Redis pub/sub, presence in sorted sets, counters with INCR. One connection for
 * commands, and one for subscriptions, opened at the first subscribe (a subscribed connection can run no
 * other command). Every key and channel starts with the prefix, so deployments and test runs can share a
 * Redis. Connections reconnect on their own (ioredis), re-subscribing; errors are logged, never thrown
 * at the process. Pub/sub is at-most-once: messages published while a node is disconnected are lost to it.
 */
import { Redis } from 'ioredis';
import { logger } from '../log/Logger.js';
import type { Bus, BusMessage, Counters, Unsubscribe } from './Bus.js';
import { RedisPresence } from './RedisPresence.js';

const log = logger('bus.redis');

type Handler = (message: BusMessage) => void;

class RedisCounters implements Counters {
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(redis: Redis, prefix: string) {
    this.#redis = redis;
    this.#prefix = prefix;
  }

  /** INCR, and PEXPIRE NX so only the window's first hit sets its end (Redis ≥ 7), in one MULTI. */
  async hit(key: string, windowMs: number): Promise<number> {
    const k = `${this.#prefix}hits:${key}`;
    const res = await this.#redis.multi().incr(k).pexpire(k, windowMs, 'NX').exec();
    const [err, n] = res?.[0] ?? [new Error('INCR gave no reply'), 0];
    if (err) throw err;
    return Number(n);
  }
}

export interface RedisBusOptions {
  /** `redis://host:port/db`. */
  url: string;
  /** Put before every key and channel (default `rostra:`). */
  prefix?: string;
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
  readonly #redis: Redis;
  readonly #url: string;
  readonly #prefix: string;
  readonly #channels = new Map<string, Channel>();
  #sub: Redis | undefined;
  #closing: Promise<void> | undefined;

  private constructor(redis: Redis, opts: RedisBusOptions) {
    this.#redis = redis;
    this.#url = opts.url;
    this.#prefix = opts.prefix ?? 'rostra:';
    this.presence = new RedisPresence(redis, this.#prefix);
    this.counters = new RedisCounters(redis, this.#prefix);
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
