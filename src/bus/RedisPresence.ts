/**
 * Presence in Redis, shared by every node, built for a million listeners in one room.
 *
 * - **Sharded count.** A room's members are spread over `shards` sorted sets by a hash of the member,
 *   `presence:{room#i}` (score = expiry in ms). Each shard has its own hash tag, so on a Redis Cluster the
 *   shards of one crowded room land on different slots, not one hot key. count = the sum of ZCOUNT
 *   (unexpired) over the shards; expired members are pruned as each shard is written.
 * - **Batched writes.** A node gathers the touches it receives for up to `flushMs` (in its RedisWriteBatch,
 *   with its other gathered writes) and writes each shard's batch with one script call (one ZADD of many
 *   members). A touch resolves once its batch is written, so a count read after it sees it, on every node.
 * - **Listed members** (signed-in listeners, who can be paged) are also in `listed:{room}` (all score 0, so
 *   ZRANGEBYLEX pages them in lexicographic order; the cursor is the last member of a page) and their
 *   expiry in `listedexp:{room}`. The order does not change as members come and go, so paging sees every
 *   member present throughout exactly once. Entries of members who expired are dropped lazily when a page
 *   reads past them. Listing is sticky: the later unlisted touches of a listed member keep it listed.
 * Every key expires at twice the ttl after its last write, so an abandoned room vanishes on its own.
 */
import type { ChainableCommander, Redis } from 'ioredis';
import { RostraError } from '../errors/index.js';
import { logger } from '../log/Logger.js';
import type { Presence, PresencePage } from './Bus.js';
import type { BatchSource, Drained, RedisWriteBatch } from './RedisWriteBatch.js';

const log = logger('bus.presence');

/** KEYS: shard. ARGV: now ms, key ttl ms, then (expiry, member) pairs. */
const TOUCH_SHARD = `
local n = #ARGV
for i = 3, n, 1000 do
  redis.call('ZADD', KEYS[1], unpack(ARGV, i, math.min(i + 999, n)))
end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

/** KEYS: listed, listedexp. ARGV: key ttl ms, then (expiry, member) pairs. */
const TOUCH_LISTED = `
for i = 2, #ARGV, 2 do
  redis.call('ZADD', KEYS[1], 0, ARGV[i + 1])
  redis.call('HSET', KEYS[2], ARGV[i + 1], ARGV[i])
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return 1`;

/**
 * KEYS: listed, listedexp. ARGV: now ms, ZRANGEBYLEX start ('-' or '(member'), limit.
 * Returns up to limit + 1 present listed members after the start; drops the stale ones it meets.
 */
const LIST = `
local now = tonumber(ARGV[1])
local want = tonumber(ARGV[3]) + 1
local from = ARGV[2]
local out = {}
while #out < want do
  local batch = redis.call('ZRANGEBYLEX', KEYS[1], from, '+', 'LIMIT', 0, math.min(want - #out + 32, 1000))
  if #batch == 0 then break end
  local expiries = redis.call('HMGET', KEYS[2], unpack(batch))
  local gone = {}
  for i, member in ipairs(batch) do
    local until_ms = expiries[i]
    if until_ms and tonumber(until_ms) > now then
      if #out < want then out[#out + 1] = member end
    else
      gone[#gone + 1] = member
    end
  end
  if #gone > 0 then
    redis.call('ZREM', KEYS[1], unpack(gone))
    redis.call('HDEL', KEYS[2], unpack(gone))
  end
  from = '(' .. batch[#batch]
end
return out`;

type ScriptRedis = Redis & {
  rostraTouchShard(
    shard: string,
    now: number,
    keyTtl: number,
    ...pairs: (string | number)[]
  ): Promise<number>;
  rostraTouchListed(
    listed: string,
    listedExp: string,
    keyTtl: number,
    ...pairs: (string | number)[]
  ): Promise<number>;
  rostraList(listed: string, listedExp: string, now: number, from: string, limit: number): Promise<string[]>;
};

/** The most members a page may ask for (one script call must stay short: Redis runs scripts alone). */
export const MAX_PAGE = 1000;

export interface RedisPresenceOptions {
  /** Sorted sets per room for the count (default 16). */
  readonly shards?: number;
  /** How long the node's writes (touches, unique counts) are gathered before one send (default 100 ms). */
  readonly flushMs?: number;
}

interface Pending {
  /** shard key → member → expiry */
  shards: Map<string, Map<string, number>>;
  /** room → member → expiry, for listed members */
  listed: Map<string, Map<string, number>>;
  /** The largest ttl seen (keys live twice as long). */
  ttlMs: number;
  waiters: { resolve: () => void; reject: (err: unknown) => void }[];
}

const emptyPending = (): Pending => ({ shards: new Map(), listed: new Map(), ttlMs: 0, waiters: [] });

export class RedisPresence implements Presence, BatchSource {
  readonly #redis: ScriptRedis;
  readonly #prefix: string;
  readonly #shards: number;
  readonly #batch: RedisWriteBatch;
  #pending = emptyPending();

  /** `batch`: the node's gathered writes, sent every `flushMs` (RedisPresenceOptions). */
  constructor(redis: Redis, prefix: string, batch: RedisWriteBatch, opts: RedisPresenceOptions = {}) {
    if (!('rostraTouchShard' in redis)) {
      redis.defineCommand('rostraTouchShard', { numberOfKeys: 1, lua: TOUCH_SHARD });
      redis.defineCommand('rostraTouchListed', { numberOfKeys: 2, lua: TOUCH_LISTED });
      redis.defineCommand('rostraList', { numberOfKeys: 2, lua: LIST });
    }
    this.#redis = redis as ScriptRedis;
    this.#prefix = prefix;
    this.#shards = opts.shards ?? 16;
    if (!Number.isInteger(this.#shards) || this.#shards < 1) throw new TypeError('shards must be >= 1');
    this.#batch = batch;
    batch.register(this);
  }

  /** The shard keys of a room (each its own hash tag: its own cluster slot). */
  shardKeys(room: string): string[] {
    return Array.from({ length: this.#shards }, (_, i) => `${this.#prefix}presence:{${room}#${i}}`);
  }

  #shardOf(room: string, member: string): string {
    return `${this.#prefix}presence:{${room}#${fnv1a(member) % this.#shards}}`;
  }

  #listedKeys(room: string): [listed: string, listedExp: string] {
    return [`${this.#prefix}listed:{${room}}`, `${this.#prefix}listedexp:{${room}}`];
  }

  touch(room: string, member: string, ttlMs: number, listed: boolean): Promise<void> {
    const until = Date.now() + ttlMs;
    const p = this.#pending;
    const shard = this.#shardOf(room, member);
    let batch = p.shards.get(shard);
    if (!batch) p.shards.set(shard, (batch = new Map()));
    batch.set(member, until);
    if (listed) {
      let l = p.listed.get(room);
      if (!l) p.listed.set(room, (l = new Map()));
      l.set(member, until);
    }
    p.ttlMs = Math.max(p.ttlMs, ttlMs);
    this.#batch.schedule();
    return new Promise((resolve, reject) => p.waiters.push({ resolve, reject }));
  }

  /** The gathered touches: one script call per shard written, and one per room's listed members. */
  drain(pipe: ChainableCommander): Drained | undefined {
    const p = this.#pending;
    this.#pending = emptyPending();
    if (p.waiters.length === 0) return undefined;
    const now = Date.now();
    const keyTtl = p.ttlMs * 2;
    const scripts = pipe as unknown as ScriptRedis;
    let commands = 0;
    for (const [shard, members] of p.shards) {
      const pairs: (string | number)[] = [];
      for (const [member, until] of members) pairs.push(until, member);
      void scripts.rostraTouchShard(shard, now, keyTtl, ...pairs);
      commands++;
    }
    for (const [room, members] of p.listed) {
      const pairs: (string | number)[] = [];
      for (const [member, until] of members) pairs.push(until, member);
      void scripts.rostraTouchListed(...this.#listedKeys(room), keyTtl, ...pairs);
      commands++;
    }
    return {
      commands,
      settle: (err) => {
        if (err === undefined) for (const w of p.waiters) w.resolve();
        else {
          log.warn({ err, touches: p.waiters.length }, 'presence batch could not be written');
          for (const w of p.waiters) w.reject(err);
        }
      },
    };
  }

  async leave(room: string, member: string): Promise<void> {
    const shard = this.#shardOf(room, member);
    this.#pending.shards.get(shard)?.delete(member);
    this.#pending.listed.get(room)?.delete(member);
    const [l, le] = this.#listedKeys(room);
    await this.#redis.pipeline().zrem(shard, member).zrem(l, member).hdel(le, member).exec();
  }

  async count(room: string): Promise<number> {
    const now = Date.now();
    const pipe = this.#redis.pipeline();
    for (const key of this.shardKeys(room)) pipe.zcount(key, `(${now}`, '+inf');
    const res = (await pipe.exec()) ?? [];
    let total = 0;
    for (const [err, n] of res) {
      if (err) throw err;
      total += Number(n);
    }
    return total;
  }

  async list(room: string, opts: { limit: number; cursor?: string }): Promise<PresencePage> {
    if (!Number.isInteger(opts.limit) || opts.limit < 1 || opts.limit > MAX_PAGE) {
      throw new TypeError(`limit must be an integer from 1 to ${MAX_PAGE}`);
    }
    const from = opts.cursor === undefined ? '-' : `(${decodeMember(opts.cursor)}`;
    const found = await this.#redis.rostraList(...this.#listedKeys(room), Date.now(), from, opts.limit);
    const members = found.slice(0, opts.limit);
    const last = members[members.length - 1];
    return {
      members,
      nextCursor: found.length > opts.limit && last !== undefined ? encodeMember(last) : null,
    };
  }

  async clear(room: string): Promise<void> {
    for (const key of this.shardKeys(room)) this.#pending.shards.delete(key);
    this.#pending.listed.delete(room);
    // One DEL per slot: on a Redis Cluster a multi-key DEL must stay within one slot.
    const pipe = this.#redis.pipeline();
    for (const key of [...this.shardKeys(room), ...this.#listedKeys(room)]) pipe.del(key);
    await pipe.exec();
  }
}

/** 32-bit FNV-1a: a fast, even spread of member ids over the shards. */
function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** The cursor is the last member seen, base64url-encoded (member ids may hold any character). */
function encodeMember(member: string): string {
  return Buffer.from(member, 'utf8').toString('base64url');
}

function decodeMember(cursor: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) {
    throw new RostraError('validation_failed', 'The cursor is not one this server gave out.');
  }
  return Buffer.from(cursor, 'base64url').toString('utf8');
}
