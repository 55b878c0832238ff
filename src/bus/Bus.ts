/**
 * Cross-process coordination behind one narrow interface: pub/sub, presence counting and rate counters.
 * Implementations: in-memory (one process, the default) and Redis (REDIS_URL). One shared test suite runs
 * against both. No caller may assume that it shares a process with another node.
 */

/** A JSON-serialisable message. */
export type BusMessage = { readonly [key: string]: unknown };

export type Unsubscribe = () => Promise<void>;

export interface PresencePage {
  /**
   * Listed member ids in an order that does not change while they stay (arrival order in memory,
   * lexicographic in Redis), so paging sees every member present throughout exactly once.
   */
  members: string[];
  nextCursor: string | null;
}

export interface Presence {
  /**
   * Marks a member present in a room until now + ttlMs. `listed` members also appear in `list()`
   * (signed-in listeners); unlisted ones (anonymous) are only counted. Callers use one ttl per room.
   */
  touch(room: string, member: string, ttlMs: number, listed: boolean): Promise<void>;
  /** Idempotent. */
  leave(room: string, member: string): Promise<void>;
  /** Members whose ttl has not run out. */
  count(room: string): Promise<number>;
  /**
   * Listed members whose ttl has not run out, paged. The cursor is opaque and only valid for the same
   * implementation; a malformed one is refused with `validation_failed`.
   */
  list(room: string, opts: { limit: number; cursor?: string }): Promise<PresencePage>;
  /** Forgets a room (when the space ends). */
  clear(room: string): Promise<void>;
}

export interface Counters {
  /**
   * Counts a hit on `key` in a fixed window of `windowMs` and returns the count in the current window,
   * this hit included (for rate limits shared by every node).
   */
  hit(key: string, windowMs: number): Promise<number>;
}

export interface Bus {
  readonly kind: 'memory' | 'redis';
  readonly presence: Presence;
  readonly counters: Counters;
  /** Delivers to every subscriber of the channel in every process, this one included. */
  publish(channel: string, message: BusMessage): Promise<void>;
  /** The handler must not throw; if it does, the error is logged and delivery goes on. */
  subscribe(channel: string, handler: (message: BusMessage) => void): Promise<Unsubscribe>;
  /** Idempotent; unsubscribes everything and clears timers. */
  close(): Promise<void>;
}
