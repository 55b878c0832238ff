/**
 * Cross-process coordination behind one narrow interface: pub/sub, presence counting, rate counters
 * and leases.
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
  /** As `hit`, also saying when the window ends (for Retry-After). */
  take(key: string, windowMs: number): Promise<CounterWindow>;
  /** The current window's count without counting a hit (0 and resetInMs 0 when there is none). */
  peek(key: string): Promise<CounterWindow>;
}

export interface CounterWindow {
  count: number;
  /** Milliseconds until the window ends and the count starts again. */
  resetInMs: number;
}

/**
 * Leases: one holder per key at a time, for a bounded time (a live space's media owner). A single-instance
 * lock as Redis documents it (SET NX PX, and compare-and-set scripts to renew and release): no consensus of
 * our own. A holder that cannot renew must stop acting before its ttl runs out (MediaOwnership does).
 */
export interface Leases {
  /** Takes the lease if it is free, or extends it if `holder` has it; true if `holder` holds it now. */
  acquire(key: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Extends the lease only if `holder` still has it (compare-and-set); false if it was lost. */
  renew(key: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Frees the lease only if `holder` has it. Idempotent. */
  release(key: string, holder: string): Promise<void>;
  /** Who holds the lease now, or null. */
  holder(key: string): Promise<string | null>;
}

/**
 * Distinct members per key, for "unique listeners" without a Store write per listener. Redis counts with a
 * HyperLogLog (PFADD/PFCOUNT: 12 KB per key at most, ~0.8 % standard error, exact in practice for small
 * sets); memory keeps an exact Set.
 */
export interface Uniques {
  /** Counts `member` into `key`; the key is forgotten `ttlMs` after its last add. */
  add(key: string, member: string, ttlMs: number): Promise<void>;
  /** How many distinct members `key` has seen (0 for an unknown key). */
  count(key: string): Promise<number>;
}

export interface Bus {
  readonly kind: 'memory' | 'redis';
  readonly presence: Presence;
  readonly counters: Counters;
  readonly leases: Leases;
  readonly uniques: Uniques;
  /** Delivers to every subscriber of the channel in every process, this one included. */
  publish(channel: string, message: BusMessage): Promise<void>;
  /** The handler must not throw; if it does, the error is logged and delivery goes on. */
  subscribe(channel: string, handler: (message: BusMessage) => void): Promise<Unsubscribe>;
  /** Idempotent; unsubscribes everything and clears timers. */
  close(): Promise<void>;
}
