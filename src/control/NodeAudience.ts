/** The listeners admitted through this node, for the per-node cap. */
import { ExpiringSet } from '../util/ExpiringSet.js';

export class NodeAudience {
  readonly #set = new ExpiringSet();
  readonly #ttlMs: number;

  constructor(ttlMs: number) {
    this.#ttlMs = ttlMs;
  }

  touch(key: string, nowMs: number): void {
    this.#set.touch(key, nowMs + this.#ttlMs);
  }

  has(key: string, nowMs: number): boolean {
    return this.#set.has(key, nowMs);
  }

  leave(key: string): void {
    this.#set.delete(key);
  }

  count(nowMs: number): number {
    this.#set.sweep(nowMs);
    return this.#set.size;
  }
}
