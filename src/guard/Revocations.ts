/**
 * Removed means removed, on every node at once: when a host removes a user, the (space, user) pair goes
 * into a set in the Bus (a presence room whose members live as long as a ticket can) and out on a Bus
 * channel. Every node keeps the set in memory, so the ticket check on the media path stays a map lookup:
 * no Bus or Store read per request. A node that starts later loads the set from the Bus.
 */
import type { Bus, Unsubscribe } from '../bus/Bus.js';
import { logger } from '../log/Logger.js';

const log = logger('guard.revocations');
const ROOM = 'guard:revoked';
const CHANNEL = 'guard.revoked';

const keyOf = (spaceId: string, userId: string) => `${spaceId}/${userId}`;

export class Revocations {
  readonly #bus: Bus;
  readonly #ttlMs: number;
  /** pair → until (epoch ms) */
  readonly #revoked = new Map<string, number>();
  #unsubscribe: Unsubscribe | undefined;

  /** `ttlMs`: at least the longest a ticket lives; after that, no old ticket is left to refuse. */
  constructor(bus: Bus, ttlMs: number) {
    this.#bus = bus;
    this.#ttlMs = ttlMs;
  }

  async start(): Promise<void> {
    this.#unsubscribe = await this.#bus.subscribe(CHANNEL, (m) => {
      if (typeof m.k === 'string' && typeof m.until === 'number') this.#remember(m.k, m.until);
    });
    let cursor: string | undefined;
    const until = Date.now() + this.#ttlMs;
    for (let page = 0; page < 1000; page++) {
      const p = await this.#bus.presence.list(ROOM, { limit: 500, ...(cursor ? { cursor } : {}) });
      for (const k of p.members) this.#remember(k, until);
      if (p.nextCursor === null) break;
      cursor = p.nextCursor;
    }
  }

  /** Every node refuses the user's tickets for this space from now on. */
  async revoke(spaceId: string, userId: string): Promise<void> {
    const k = keyOf(spaceId, userId);
    const until = Date.now() + this.#ttlMs;
    this.#remember(k, until);
    await Promise.all([
      this.#bus.presence.touch(ROOM, k, this.#ttlMs, true),
      this.#bus.publish(CHANNEL, { k, until }),
    ]);
    log.info({ spaceId, userId }, 'tickets revoked');
  }

  has(spaceId: string, userId: string): boolean {
    const until = this.#revoked.get(keyOf(spaceId, userId));
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.#revoked.delete(keyOf(spaceId, userId));
    return false;
  }

  async close(): Promise<void> {
    await this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }

  #remember(k: string, until: number): void {
    if ((this.#revoked.get(k) ?? 0) < until) this.#revoked.set(k, until);
  }
}
