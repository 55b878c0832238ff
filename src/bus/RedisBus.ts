/**
 * The Bus for a cluster: Redis pub/sub, presence in sorted sets, counters with INCR. One connection for
 * commands and one for subscriptions (Redis forbids commands on a subscribed connection).
 */
import { Redis } from 'ioredis';
import { logger } from '../log/Logger.js';
import type { Bus, BusMessage, Counters, Presence, PresencePage, Unsubscribe } from './Bus.js';

const log = logger('bus.redis');

/** How many listed members to read per round while filtering out expired ones. */
const LIST_BATCH = 200;

class RedisPresence implements Presence {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  // `p:` holds every member scored by expiry; `pl:` holds listed members with score 0, so BYLEX pages
  // through them in a stable order.
  #members(room: string): string {
    return `${this.prefix}p:${room}`;
  }
  #listed(room: string): string {
    return `${this.prefix}pl:${room}`;
  }

  async touch(room: string, member: string, ttlMs: number, listed: boolean): Promise<void> {
    const until = Date.now() + ttlMs;
    const m = this.redis
      .multi()
      .zadd(this.#members(room), until, member)
      .pexpire(this.#members(room), ttlMs * 2);
    if (listed) m.zadd(this.#listed(room), 0, member).pexpire(this.#listed(room), ttlMs * 2);
    await m.exec();
  }

  async leave(room: string, member: string): Promise<void> {
    await this.redis.multi().zrem(this.#members(room), member).zrem(this.#listed(room), member).exec();
  }

  async count(room: string): Promise<number> {
    const res = await this.redis
      .multi()
      .zremrangebyscore(this.#members(room), '-inf', Date.now())
      .zcard(this.#members(room))
      .exec();
    const card = res?.[1]?.[1];
    return typeof card === 'number' ? card : 0;
  }

  async list(room: string, opts: { limit: number; cursor?: string }): Promise<PresencePage> {
    const now = Date.now();
    const out: string[] = [];
    let from = opts.cursor !== undefined ? `(${opts.cursor}` : '-';
    for (;;) {
      const batch = await this.redis.zrangebylex(this.#listed(room), from, '+', 'LIMIT', 0, LIST_BATCH);
      if (batch.length === 0) return { members: out, nextCursor: null };
      const scores = await this.redis.zmscore(this.#members(room), ...batch);
      const gone: string[] = [];
      for (let i = 0; i < batch.length; i++) {
        const member = batch[i] as string;
        const until = scores[i];
        if (until === null || until === undefined || Number(until) <= now) gone.push(member);
        else {
          out.push(member);
          if (out.length === opts.limit) {
            if (gone.length > 0) await this.redis.zrem(this.#listed(room), ...gone);
            // Is there anything after this one? A cheap peek keeps nextCursor null on the last page.
            const more = await this.redis.zrangebylex(this.#listed(room), `(${member}`, '+', 'LIMIT', 0, 1);
            return { members: out, nextCursor: more.length > 0 ? member : null };
          }
        }
      }
      if (gone.length > 0) await this.redis.zrem(this.#listed(room), ...gone);
      from = `(${batch[batch.length - 1] as string}`;
    }
  }

  async clear(room: string): Promise<void> {
    await this.redis.del(this.#members(room), this.#listed(room));
  }
}

class RedisCounters implements Counters {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async hit(key: string, windowMs: number): Promise<number> {
    const k = `${this.prefix}c:${key}`;
    const res = await this.redis.multi().incr(k).pexpire(k, windowMs, 'NX').exec();
    const n = res?.[0]?.[1];
    return typeof n === 'number' ? n : 1;
  }
}

export interface RedisBusOptions {
  url: string;
  /** Prefix for every key and channel, so several deployments (or test runs) can share one Redis. */
  prefix?: string;
}

export class RedisBus implements Bus {
  readonly kind = 'redis' as const;
  readonly presence: RedisPresence;
  readonly counters: RedisCounters;
  readonly #redis: Redis;
  readonly #url: string;
  readonly #prefix: string;
  #sub: Redis | undefined;
  readonly #handlers = new Map<string, Set<(m: BusMessage) => void>>();
  #closing: Promise<void> | undefined;

  private constructor(redis: Redis, opts: RedisBusOptions) {
    this.#redis = redis;
    this.#url = opts.url;
    this.#prefix = opts.prefix ?? 'rostra:';
    this.presence = new RedisPresence(redis, this.#prefix);
    this.counters = new RedisCounters(redis, this.#prefix);
  }

  static async open(opts: RedisBusOptions): Promise<RedisBus> {
    const redis = new Redis(opts.url, { lazyConnect: true, maxRetriesPerRequest: 3 });
    redis.on('error', (err) => log.error({ err }, 'Redis connection error'));
    await redis.connect();
    return new RedisBus(redis, opts);
  }

  async publish(channel: string, message: BusMessage): Promise<void> {
    await this.#redis.publish(this.#prefix + channel, JSON.stringify(message));
  }

  async subscribe(channel: string, handler: (message: BusMessage) => void): Promise<Unsubscribe> {
    const full = this.#prefix + channel;
    const sub = await this.#subscriber();
    let set = this.#handlers.get(full);
    const own = (m: BusMessage) => handler(m);
    if (!set) {
      set = new Set();
      this.#handlers.set(full, set);
      set.add(own);
      await sub.subscribe(full);
    } else set.add(own);
    return async () => {
      const s = this.#handlers.get(full);
      if (!s || !s.delete(own) || s.size > 0) return;
      this.#handlers.delete(full);
      if (this.#closing === undefined) await sub.unsubscribe(full);
    };
  }

  async #subscriber(): Promise<Redis> {
    if (this.#sub) return this.#sub;
    const sub = new Redis(this.#url, { lazyConnect: true });
    sub.on('error', (err) => log.error({ err }, 'Redis subscriber error'));
    sub.on('message', (channel: string, raw: string) => {
      const handlers = this.#handlers.get(channel);
      if (!handlers) return;
      let msg: BusMessage;
      try {
        msg = JSON.parse(raw) as BusMessage;
      } catch (err) {
        log.warn({ err, channel }, 'unparsable bus message dropped');
        return;
      }
      for (const h of [...handlers]) {
        try {
          h(msg);
        } catch (err) {
          log.error({ err, channel }, 'bus handler threw');
        }
      }
    });
    this.#sub = sub;
    await sub.connect();
    return sub;
  }

  /** Channels with at least one subscriber (leak checks). */
  get channelCount(): number {
    return this.#handlers.size;
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#handlers.clear();
      await Promise.all([
        this.#redis.quit().catch(() => this.#redis.disconnect()),
        this.#sub?.quit().catch(() => this.#sub?.disconnect()),
      ]);
    })();
    return this.#closing;
  }
}
