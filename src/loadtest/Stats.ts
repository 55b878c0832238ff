/**
 * The numbers a load test reports, kept apart from any I/O: a delay histogram with percentiles and
 * counters by outcome. Stalls are counted by the one definition, src/listener/StallMeter.ts.
 */

/** Fixed-bucket latency histogram (1 ms buckets up to 10 s, then one overflow bucket): O(1) per sample. */
export class DelayHistogram {
  readonly #buckets = new Uint32Array(10_001);
  #count = 0;
  #max = 0;

  record(ms: number): void {
    const b = Math.min(10_000, Math.max(0, Math.round(ms)));
    this.#buckets[b] = (this.#buckets[b] ?? 0) + 1;
    this.#count++;
    if (ms > this.#max) this.#max = ms;
  }

  get count(): number {
    return this.#count;
  }

  get max(): number {
    return this.#max;
  }

  /** The smallest bucket (ms) at or below which at least `q` (0..1) of the samples lie; NaN when empty. */
  percentile(q: number): number {
    if (q < 0 || q > 1) throw new TypeError(`percentile wants 0..1, got ${q}`);
    if (this.#count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil(q * this.#count));
    let seen = 0;
    for (let i = 0; i < this.#buckets.length; i++) {
      seen += this.#buckets[i] ?? 0;
      if (seen >= rank) return i;
    }
    return this.#buckets.length - 1;
  }

  merge(other: DelayHistogram): void {
    for (let i = 0; i < this.#buckets.length; i++)
      this.#buckets[i] = (this.#buckets[i] ?? 0) + (other.#buckets[i] ?? 0);
    this.#count += other.#count;
    this.#max = Math.max(this.#max, other.#max);
  }
}

/** Counts by a stable key (`http_503`, `refused:node_at_capacity`, `ECONNRESET`, …). */
export class Counter {
  readonly #counts = new Map<string, number>();

  add(key: string, n = 1): void {
    this.#counts.set(key, (this.#counts.get(key) ?? 0) + n);
  }

  get total(): number {
    let t = 0;
    for (const v of this.#counts.values()) t += v;
    return t;
  }

  toJSON(): Record<string, number> {
    return Object.fromEntries([...this.#counts].sort(([a], [b]) => a.localeCompare(b)));
  }
}
