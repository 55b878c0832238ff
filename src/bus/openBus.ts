/** Opens the configured Bus: Redis when a URL is given, else in memory. */
import type { Bus } from './Bus.js';
import { MemoryBus } from './MemoryBus.js';
import { RedisBus } from './RedisBus.js';

export interface OpenBusOptions {
  /** `redis://…`: share pub/sub, presence and counters with every node on it. When absent: in memory. */
  redisUrl?: string;
  /** Redis only: put before every key and channel (default `rostra:`). */
  prefix?: string;
}

export async function openBus(opts: OpenBusOptions = {}): Promise<Bus> {
  if (opts.redisUrl === undefined) {
    if (opts.prefix !== undefined) throw new TypeError('openBus: prefix applies to Redis only');
    return new MemoryBus();
  }
  return RedisBus.open({ url: opts.redisUrl, ...(opts.prefix !== undefined ? { prefix: opts.prefix } : {}) });
}
