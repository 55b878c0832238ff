/**
 * Presence in Redis, shared by every node. Per room, two sorted sets under one hash tag (one cluster slot):
 * - `presence:{room}`: every member, score = expiry in ms. count = ZREMRANGEBYSCORE up to now, then ZCARD.
 * - `listed:{room}`: listed members, all with score 0, so ZRANGEBYLEX pages them in lexicographic order.
 *   The cursor is the last member of a page; the order does not change as members come and go, so paging
 *   sees every member present throughout exactly once. Entries of members who expired are dropped lazily
 *   when a page reads past them (they are only found by comparing with the first set).
 * Both keys expire at twice the ttl after the last touch, so an abandoned room vanishes on its own.
 */
import type { Redis } from 'ioredis';
import { RostraError } from '../errors/index.js';
import type { Presence, PresencePage } from './Bus.js';

/** KEYS: presence, listed. ARGV: expiry ms, member, key ttl ms, '1' if listed. */
const TOUCH = `
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
if ARGV[4] == '1' then
  redis.call('ZADD', KEYS[2], 0, ARGV[2])
  redis.call('PEXPIRE', KEYS[2], ARGV[3])
end
return 1`;

/**
 * KEYS: presence, listed. ARGV: now ms, ZRANGEBYLEX start ('-' or '(member'), limit.
 * Returns up to limit + 1 present listed members after the start; drops the stale ones it meets.
 */
const LIST = `
local now = tonumber(ARGV[1])
local want = tonumber(ARGV[3]) + 1
local from = ARGV[2]
local out = {}
while #out < want do
  local batch = redis.call('ZRANGEBYLEX', KEYS[2], from, '+', 'LIMIT', 0, math.min(want - #out + 32, 1000))
  if #batch == 0 then break end
  local scores = redis.call('ZMSCORE', KEYS[1], unpack(batch))
  local gone = {}
  for i, member in ipairs(batch) do
    local until_ms = scores[i]
    if until_ms and tonumber(until_ms) > now then
      if #out < want then out[#out + 1] = member end
    else
      gone[#gone + 1] = member
    end
  end
  if #gone > 0 then redis.call('ZREM', KEYS[2], unpack(gone)) end
  from = '(' .. batch[#batch]
end
return out`;

type ScriptRedis = Redis & {
  rostraTouch(
    presence: string,
    listed: string,
    until: number,
    member: string,
    keyTtl: number,
    l: string,
  ): Promise<number>;
  rostraList(presence: string, listed: string, now: number, from: string, limit: number): Promise<string[]>;
};

/** Registers the scripts on a connection (EVALSHA, falling back to EVAL once per connection). */
export function defineScripts(redis: Redis): void {
  if ('rostraTouch' in redis) return;
  redis.defineCommand('rostraTouch', { numberOfKeys: 2, lua: TOUCH });
  redis.defineCommand('rostraList', { numberOfKeys: 2, lua: LIST });
}

/** The most members a page may ask for (one script call must stay short: Redis runs scripts alone). */
export const MAX_PAGE = 1000;

export class RedisPresence implements Presence {
  readonly #redis: ScriptRedis;
  readonly #prefix: string;

  constructor(redis: Redis, prefix: string) {
    defineScripts(redis);
    this.#redis = redis as ScriptRedis;
    this.#prefix = prefix;
  }

  #keys(room: string): [presence: string, listed: string] {
    return [`${this.#prefix}presence:{${room}}`, `${this.#prefix}listed:{${room}}`];
  }

  async touch(room: string, member: string, ttlMs: number, listed: boolean): Promise<void> {
    const [p, l] = this.#keys(room);
    await this.#redis.rostraTouch(p, l, Date.now() + ttlMs, member, ttlMs * 2, listed ? '1' : '0');
  }

  async leave(room: string, member: string): Promise<void> {
    const [p, l] = this.#keys(room);
    await this.#redis.pipeline().zrem(p, member).zrem(l, member).exec();
  }

  async count(room: string): Promise<number> {
    const [p] = this.#keys(room);
    const res = await this.#redis.multi().zremrangebyscore(p, '-inf', Date.now()).zcard(p).exec();
    const [err, card] = res?.[1] ?? [new Error('ZCARD gave no reply'), 0];
    if (err) throw err;
    return Number(card);
  }

  async list(room: string, opts: { limit: number; cursor?: string }): Promise<PresencePage> {
    if (!Number.isInteger(opts.limit) || opts.limit < 1 || opts.limit > MAX_PAGE) {
      throw new TypeError(`limit must be an integer from 1 to ${MAX_PAGE}`);
    }
    const from = opts.cursor === undefined ? '-' : `(${decodeMember(opts.cursor)}`;
    const [p, l] = this.#keys(room);
    const found = await this.#redis.rostraList(p, l, Date.now(), from, opts.limit);
    const members = found.slice(0, opts.limit);
    const last = members[members.length - 1];
    return {
      members,
      nextCursor: found.length > opts.limit && last !== undefined ? encodeMember(last) : null,
    };
  }

  async clear(room: string): Promise<void> {
    await this.#redis.del(...this.#keys(room));
  }
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
