/**
 * The listeners admitted through this node, for the per-node cap. A Map kept in expiry order (a touch
 * re-inserts), so expired listeners are dropped from the front in O(expired).
 */
export class NodeAudience {
  readonly #expiry = new Map<string, number>();
  readonly #ttlMs: number;

  constructor(ttlMs: number) {
    this.#ttlMs = ttlMs;
  }

  touch(key: string, nowMs: number): void {
    this.#expiry.delete(key);
    this.#expiry.set(key, nowMs + this.#ttlMs);
  }

  has(key: string, nowMs: number): boolean {
    const until = this.#expiry.get(key);
    return until !== undefined && until > nowMs;
  }

  leave(key: string): void {
    this.#expiry.delete(key);
  }

  count(nowMs: number): number {
    for (const [key, until] of this.#expiry) {
      if (until > nowMs) break;
      this.#expiry.delete(key);
    }
    return this.#expiry.size;
  }
}
