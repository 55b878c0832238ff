/**
 * Keys that expire, with sweeps in O(expired). Every touch appends (key, expiry) to a queue; with one ttl
 * for all keys the queue is in expiry order, so a sweep pops expired entries from its front and drops a key
 * only if the entry is still its latest. (Deleting and re-inserting in one Map keeps insertion order too,
 * but V8 leaves a hole per delete that every walk from the front must skip: ~38 µs per sweep of a 100k set
 * after one round of touches, measured.) Costs 2–3 queue entries per key within one ttl.
 */
export class ExpiringSet {
  readonly #expiry = new Map<string, number>();
  #qKey: string[] = [];
  #qUntil: number[] = [];
  #qHead = 0;

  /** Keeps `key` until `until` (ms). Callers use one ttl, so `until` never goes backwards. */
  touch(key: string, until: number): void {
    this.#expiry.set(key, until);
    this.#qKey.push(key);
    this.#qUntil.push(until);
  }

  has(key: string, now: number): boolean {
    const until = this.#expiry.get(key);
    return until !== undefined && until > now;
  }

  /** Returns whether the key was there. */
  delete(key: string): boolean {
    return this.#expiry.delete(key);
  }

  /** Drops keys whose expiry is at or before `now`, telling `onExpire` of each. */
  sweep(now: number, onExpire?: (key: string) => void): void {
    const qKey = this.#qKey;
    const qUntil = this.#qUntil;
    let head = this.#qHead;
    while (head < qUntil.length && (qUntil[head] as number) <= now) {
      const key = qKey[head] as string;
      // Only the key's latest entry expires it; an older one means it was touched again (or left).
      if (this.#expiry.get(key) === qUntil[head]) {
        this.#expiry.delete(key);
        onExpire?.(key);
      }
      head++;
    }
    this.#qHead = head;
    if (head > 1024 && head * 2 > qUntil.length) {
      this.#qKey = qKey.slice(head);
      this.#qUntil = qUntil.slice(head);
      this.#qHead = 0;
    }
  }

  /** Keys not yet swept (sweep first for the live count). */
  get size(): number {
    return this.#expiry.size;
  }
}
