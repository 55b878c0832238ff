/**
 * The listener join path and presence (ARCHITECTURE.md, "The join path"): a signed ticket instead of a row
 * per listener, heartbeats counted in the Bus, admission caps that refuse new joins with a retry time
 * while everyone already in keeps listening.
 */
import { ListenerTickets } from '../auth/ListenerTickets.js';
import { RostraError } from '../errors/index.js';
import type { Admission } from '../contract/rest.js';
import type { Space, User } from '../domain/types.js';
import { TtlCache } from '../util/TtlCache.js';
import { Access } from './Access.js';
import type { Caller, ControlContext } from './Context.js';
import { NodeAudience } from './NodeAudience.js';

/** Reuse a count this long: a crowd of joins must not become a crowd of Bus reads. */
const COUNT_CACHE_MS = 1000;
const REMOVALS_CACHE_MS = 5000;
/** How long a space's unique-listener set outlives its last join (SpaceAnalytics copies it to the Store). */
const UNIQUES_TTL_MS = 2 * 86_400_000;

/** Where a join comes from, for the guard's ladder (see Guard.admitNewJoin). */
export interface JoinDoor {
  ip: string;
  /** The place-in-line pass the client brought back, if any. */
  pass: string | undefined;
  /** Hands the client a pass (a cookie) when it must wait in line. */
  setPass: (pass: string) => void;
}

export class Audience {
  readonly #ctx: ControlContext;
  readonly #access: Access;
  readonly #node: NodeAudience;
  readonly #counts = new TtlCache<string, number>(COUNT_CACHE_MS);
  readonly #removals = new TtlCache<string, Set<string>>(REMOVALS_CACHE_MS);

  constructor(ctx: ControlContext, access: Access) {
    this.#ctx = ctx;
    this.#access = access;
    this.#node = new NodeAudience(ctx.config.timing.ticketTtlSeconds * 1000);
  }

  static room(spaceId: string): string {
    return `listeners:${spaceId}`;
  }

  get #ttlMs(): number {
    return this.#ctx.config.timing.ticketTtlSeconds * 1000;
  }

  /**
   * Asks to listen to a live space; `prior` keeps an anonymous listener's id across rejoins. `door` is the
   * request's address and place-in-line pass, for the guard's ladder (none: not shed, e.g. tests).
   */
  async listen(caller: Caller, space: Space, prior?: string, door?: JoinDoor): Promise<Admission> {
    // A backstage has a waiting room: its listeners are counted, and their player waits for go-live.
    Access.requireState(space, 'live', 'backstage');
    const now = this.#ctx.clock.now();
    const userId = caller?.userId;
    const { guard } = this.#ctx;
    if (userId !== undefined) {
      await guard.limits.take([guard.rules.joinAccount, userId]);
      await this.#access.assertWelcome(space, userId);
    } else if (!space.anonymousListening) throw new RostraError('sign_in_required');

    const previous = prior !== undefined ? this.#ctx.tickets.check(prior, space.id, now) : undefined;
    const listenerId =
      userId !== undefined
        ? ListenerTickets.listenerIdFor(userId)
        : previous && previous.userId === undefined
          ? previous.listenerId
          : ListenerTickets.listenerIdFor(undefined);
    const nodeKey = `${space.id}/${listenerId}`;
    const already = this.#node.has(nodeKey, now.getTime());
    // The ladder sheds newcomers only: someone with a valid ticket is already in.
    if (door && !already && !previous) {
      const verdict = guard.admitNewJoin({
        spaceId: space.id,
        ip: door.ip,
        signedIn: userId !== undefined,
        pass: door.pass,
        nowMs: now.getTime(),
      });
      if (verdict.kind === 'wait') {
        door.setPass(verdict.pass);
        throw verdict.error;
      }
    }
    if (!already) await this.#admit(space, now);

    // A ticket nobody uses expires soon and never counts toward the node's cap: the listener counts once
    // their player fetches media here (`active`) or heartbeats, which also renews the ticket in full.
    const firstTtlS = Math.max(
      guard.config.firstTicketSeconds,
      this.#ctx.config.timing.heartbeatSeconds + 10,
    );
    const issued = this.#ctx.tickets.issue(
      space.id,
      listenerId,
      userId,
      now,
      already ? undefined : firstTtlS,
    );
    // Unique live listeners (analytics): a HyperLogLog in Redis, no Store write. The Bus gathers both
    // writes per node and sends them together, so they are awaited together.
    const room = Audience.room(space.id);
    await Promise.all([
      already ? undefined : this.#ctx.bus.uniques.add(room, listenerId, UNIQUES_TTL_MS),
      this.#ctx.bus.presence.touch(
        room,
        listenerId,
        already ? this.#ttlMs : firstTtlS * 1000,
        userId !== undefined,
      ),
    ]);
    return {
      ticket: issued.token,
      expiresAt: issued.ticket.expiresAt.toISOString(),
      listenerId,
      playlistUrl: `${this.#ctx.config.publicUrl}/live/${space.id}/index.m3u8`,
      heartbeatSeconds: this.#ctx.config.timing.heartbeatSeconds,
    };
  }

  /** Keeps a listener counted and returns a renewed ticket. No Store write; a Bus write only. */
  async heartbeat(space: Space, token: unknown): Promise<{ ticket: string; expiresAt: string }> {
    const now = this.#ctx.clock.now();
    const ticket = this.#ctx.tickets.verify(token, space.id, now);
    if (!ticket) throw new RostraError('invalid_ticket');
    Access.requireState(space, 'live', 'backstage');
    if (this.#ctx.tickets.revoked(ticket)) throw new RostraError('removed_from_space');
    if (ticket.userId !== undefined && (await this.#removedSet(space.id)).has(ticket.userId)) {
      throw new RostraError('removed_from_space');
    }
    const issued = this.#ctx.tickets.issue(space.id, ticket.listenerId, ticket.userId, now);
    this.#node.touch(`${space.id}/${ticket.listenerId}`, now.getTime());
    await this.#ctx.bus.presence.touch(
      Audience.room(space.id),
      ticket.listenerId,
      this.#ttlMs,
      ticket.userId !== undefined,
    );
    return { ticket: issued.token, expiresAt: issued.ticket.expiresAt.toISOString() };
  }

  /**
   * The media path saw this listener's ticket: they are real, so they count toward the node's cap (a map
   * lookup per request, a write only the first time).
   */
  active(spaceId: string, listenerId: string): void {
    const key = `${spaceId}/${listenerId}`;
    const nowMs = Date.now();
    if (!this.#node.has(key, nowMs)) this.#node.touch(key, nowMs);
  }

  async leave(space: Space, token: unknown): Promise<void> {
    const ticket = this.#ctx.tickets.check(token, space.id, this.#ctx.clock.now());
    if (!ticket) throw new RostraError('invalid_ticket');
    this.#node.leave(`${space.id}/${ticket.listenerId}`);
    await this.#ctx.bus.presence.leave(Audience.room(space.id), ticket.listenerId);
  }

  /** Drops a signed-in user from the count (removed from the space). */
  async evict(spaceId: string, userId: string): Promise<void> {
    const listenerId = ListenerTickets.listenerIdFor(userId);
    this.#node.leave(`${spaceId}/${listenerId}`);
    this.#removals.delete(spaceId);
    await this.#ctx.bus.presence.leave(Audience.room(spaceId), listenerId);
  }

  /** Live listeners, from a node-local cache of at most ~1 s. */
  async count(spaceId: string): Promise<number> {
    const nowMs = Date.now();
    const cached = this.#counts.get(spaceId, nowMs);
    if (cached !== undefined) return cached;
    const n = await this.#ctx.bus.presence.count(Audience.room(spaceId));
    this.#counts.set(spaceId, n, nowMs);
    return n;
  }

  /** Signed-in listeners, paged (anonymous listeners are counted, not listed). */
  async listeners(
    spaceId: string,
    limit: number,
    cursor: string | undefined,
  ): Promise<{ users: User[]; nextCursor: string | null; count: number }> {
    const page = await this.#ctx.bus.presence.list(Audience.room(spaceId), {
      limit,
      ...(cursor !== undefined ? { cursor } : {}),
    });
    // A removed user's last heartbeat may still hold their presence on another node for a moment: never list them.
    const removed = await this.#removedSet(spaceId);
    const ids = page.members
      .filter((m) => m.startsWith('u:'))
      .map((m) => m.slice(2))
      .filter((id) => !removed.has(id));
    const users = await this.#ctx.store.users.byIds(ids);
    return { users, nextCursor: page.nextCursor, count: await this.count(spaceId) };
  }

  /** Listeners this node admitted and still counts, over all spaces. */
  nodeCount(): number {
    return this.#node.count(Date.now());
  }

  async close(spaceId: string): Promise<void> {
    this.#counts.delete(spaceId);
    await this.#ctx.bus.presence.clear(Audience.room(spaceId));
  }

  async #admit(space: Space, now: Date): Promise<void> {
    const { limits, timing } = this.#ctx.config;
    if (limits.listenersPerNode > 0 && this.#node.count(now.getTime()) >= limits.listenersPerNode) {
      throw new RostraError(
        'space_unavailable',
        'This space is not available right now: too many people are joining. Retrying shortly.',
        {
          retryAfter: timing.retryAfterSeconds,
          details: { reason: 'node_at_capacity' },
        },
      );
    }
    if (limits.listenersPerSpace > 0 && (await this.count(space.id)) >= limits.listenersPerSpace) {
      throw new RostraError(
        'space_unavailable',
        space.record ? 'Live audience full — the recording will be published.' : 'Live audience full.',
        {
          retryAfter: timing.retryAfterSeconds * 4,
          details: { reason: 'audience_full', record: space.record },
        },
      );
    }
  }

  async #removedSet(spaceId: string): Promise<Set<string>> {
    const nowMs = Date.now();
    const cached = this.#removals.get(spaceId, nowMs);
    if (cached) return cached;
    const set = new Set(await this.#ctx.store.removals.list(spaceId));
    this.#removals.set(spaceId, set, nowMs);
    return set;
  }
}
