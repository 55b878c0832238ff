/**
 * Removed means removed, on every node at once: when a host removes a user, the (space, user) pair goes
 * into a set in the Bus (a presence room whose members live as long as a ticket can) and out on a Bus
 * channel. Every node keeps the set in memory, so the ticket check on the media path stays a map lookup:
 * no Bus or Store read per request. A node that starts later loads the set from the Bus.
 *
 * Nothing is kept forever: an entry is needed only while a ticket issued before the removal can still be
 * valid (ticket TTL + 1 min), so every node sweeps its map once a minute, and the Bus's members carry their
 * end (`pair|until`) and run out with the same ttl. The sweep also pages through the Bus's room, which
 * makes Redis drop the listed members that ran out (its list script removes the stale ones it meets).
 */
import type { Bus, Unsubscribe } from '../bus/Bus.js';
import { systemClock, type Clock } from '../control/Clock.js';
import { logger } from '../log/Logger.js';

const log = logger('guard.revocations');
const ROOM = 'guard:revoked';
const CHANNEL = 'guard.revoked';
const SWEEP_MS = 60_000;

const keyOf = (spaceId: string, userId: string) => `${spaceId}/${userId}`;

export class Revocations {
  readonly #bus: Bus;
  readonly #ttlMs: number;
  readonly #clock: Clock;
  /** pair → until (epoch ms) */
  readonly #revoked = new Map<string, number>();
  #unsubscribe: Unsubscribe | undefined;
  #timer: NodeJS.Timeout | undefined;

  /**
   * `ttlMs`: at least the longest a ticket lives; after that, no old ticket is left to refuse. `clock`:
   * tests move it to see entries run out without waiting.
   */
  constructor(bus: Bus, ttlMs: number, clock: Clock = systemClock) {
    this.#bus = bus;
    this.#ttlMs = ttlMs;
    this.#clock = clock;
  }

  async start(): Promise<void> {
    this.#unsubscribe = await this.#bus.subscribe(CHANNEL, (m) => {
      if (typeof m.k === 'string' && typeof m.until === 'number') this.#remember(m.k, m.until);
    });
    await this.#load();
    this.#timer = setInterval(() => {
      this.sweep().catch((err: unknown) => log.warn({ err }, 'revocation sweep failed'));
    }, SWEEP_MS).unref();
  }

  /** Every node refuses the user's tickets for this space from now on. */
  async revoke(spaceId: string, userId: string): Promise<void> {
    const k = keyOf(spaceId, userId);
    const until = this.#now() + this.#ttlMs;
    this.#remember(k, until);
    await Promise.all([
      this.#bus.presence.touch(ROOM, `${k}|${until}`, this.#ttlMs, true),
      this.#bus.publish(CHANNEL, { k, until }),
    ]);
    log.info({ spaceId, userId }, 'tickets revoked');
  }

  has(spaceId: string, userId: string): boolean {
    const until = this.#revoked.get(keyOf(spaceId, userId));
    if (until === undefined) return false;
    if (until > this.#now()) return true;
    this.#revoked.delete(keyOf(spaceId, userId));
    return false;
  }

  /** How long a revocation lasts (ms). */
  get ttlMs(): number {
    return this.#ttlMs;
  }

  /** Pairs held in memory (tests, metrics). */
  get size(): number {
    return this.#revoked.size;
  }

  /**
   * Forgets the entries that ran out, here and in the Bus. Revocations are rare (a host's action), so a
   * walk over all of them once a minute costs nothing worth an index.
   */
  async sweep(): Promise<void> {
    const now = this.#now();
    for (const [k, until] of this.#revoked) if (until <= now) this.#revoked.delete(k);
    await this.#load();
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }

  /** Reads every member of the Bus's room (paging also sweeps Redis) and keeps those still in force. */
  async #load(): Promise<void> {
    let cursor: string | undefined;
    for (let page = 0; page < 1000; page++) {
      const p = await this.#bus.presence.list(ROOM, { limit: 500, ...(cursor ? { cursor } : {}) });
      for (const member of p.members) {
        const bar = member.lastIndexOf('|');
        if (bar > 0) this.#remember(member.slice(0, bar), Number(member.slice(bar + 1)));
      }
      if (p.nextCursor === null) break;
      cursor = p.nextCursor;
    }
  }

  #remember(k: string, until: number): void {
    if (!Number.isFinite(until) || until <= this.#now()) return;
    if ((this.#revoked.get(k) ?? 0) < until) this.#revoked.set(k, until);
  }

  #now(): number {
    return this.#clock.now().getTime();
  }
}
