/**
 * Writes a node gathers for `flushMs`, then sends to Redis as one pipeline: a crowd's touches cost a few
 * round trips a second, and a join's presence touch and unique-listener count leave together. Each
 * source (RedisPresence, RedisUniques) keeps what it gathered and queues it when the batch is sent; its
 * callers' promises settle with its own commands' replies, so a write resolves once Redis has it and a
 * read after it sees it, on every node.
 */
import type { ChainableCommander, Redis } from 'ioredis';

export interface BatchSource {
  /** Queues what was gathered on `pipe` and forgets it; undefined when nobody waits. */
  drain(pipe: ChainableCommander): Drained | undefined;
}

export interface Drained {
  /** Commands queued on the pipe. */
  commands: number;
  /** Called once: with the first error among those commands' replies, or undefined. */
  settle(err: unknown): void;
}

export class RedisWriteBatch {
  readonly #redis: Redis;
  readonly #flushMs: number;
  readonly #sources: BatchSource[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(redis: Redis, flushMs: number) {
    this.#redis = redis;
    this.#flushMs = flushMs;
  }

  register(source: BatchSource): void {
    this.#sources.push(source);
  }

  /** Sends what is gathered within `flushMs` of the first write since the last send. */
  schedule(): void {
    this.#timer ??= setTimeout(() => void this.flush(), this.#flushMs);
  }

  /** Sends what is gathered now (also at close). */
  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const pipe = this.#redis.pipeline();
    const drained = this.#sources.map((s) => s.drain(pipe)).filter((d) => d !== undefined);
    if (drained.length === 0) return;
    let replies: [Error | null, unknown][] = [];
    try {
      if (drained.some((d) => d.commands > 0)) replies = (await pipe.exec()) ?? [];
    } catch (err) {
      for (const d of drained) d.settle(err);
      return;
    }
    let at = 0;
    for (const d of drained) {
      const own = replies.slice(at, (at += d.commands));
      d.settle(own.find(([err]) => err !== null)?.[0] ?? undefined);
    }
  }
}
