/** Opens the configured Bus: Redis when a URL is given, else in memory. */
import type { Bus } from './Bus.js';
import { MemoryBus } from './MemoryBus.js';
import { RedisBus } from './RedisBus.js';

export interface OpenBusOptions {
  redisUrl?: string;
  /** Redis key and channel prefix (default `rostra:`). */
  prefix?: string;
}

export async function openBus(opts: OpenBusOptions = {}): Promise<Bus> {
  if (opts.redisUrl === undefined) return new MemoryBus();
  return RedisBus.open({ url: opts.redisUrl, ...(opts.prefix !== undefined ? { prefix: opts.prefix } : {}) });
}
