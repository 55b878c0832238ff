/** Spaces: create or schedule, start, end, cancel, interest, listing, and the cacheable public view. */
import { RostraError } from '../errors/index.js';
import type { Space, SpaceState } from '../domain/types.js';
import type { SpaceView, StageMemberView, UserView } from '../contract/rest.js';
import { newId } from '../util/ids.js';
import { TtlCache } from '../util/TtlCache.js';
import { Access } from './Access.js';
import type { Audience } from './Audience.js';
import type { Caller, ControlContext } from './Context.js';
import { logger } from '../log/Logger.js';

const log = logger('control.spaces');

export interface NewSpace {
  title: string;
  topics: string[];
  record: boolean;
  anonymousListening: boolean;
  /** ISO 8601; absent = start now. */
  scheduledFor?: string | undefined;
}

/** How long a node reuses a space record or its public view: the join path's shield against a crowd. */
const CACHE_MS = 1000;

export class Spaces {
  readonly #ctx: ControlContext;
  readonly #access: Access;
  readonly #audience: Audience;
  readonly #records = new TtlCache<string, Space>(CACHE_MS);
  /**
   * Loads of a space record in flight: a crowd arriving when the cached record expires waits on one
   * Store read, not one each (measured 1 Dec: at 512 joins in flight, PGlite took 28 % of the node's CPU).
   */
  readonly #loading = new Map<string, Promise<Space>>();
  readonly #views = new TtlCache<string, SpaceView>(CACHE_MS);

  constructor(ctx: ControlContext, access: Access, audience: Audience) {
    this.#ctx = ctx;
    this.#access = access;
    this.#audience = audience;
  }

  /** The space record, from a node-local cache of at most ~1 s. */
  async get(id: string): Promise<Space> {
    const cached = this.#records.get(id, Date.now());
    if (cached) return cached;
    const inFlight = this.#loading.get(id);
    if (inFlight) return inFlight;
    // The callbacks run after `load` is in the map; an invalidation meanwhile takes it out, and then
    // the answer (which may predate the change) is neither kept nor cleared for the newer read.
    const load: Promise<Space> = this.#ctx.store.spaces.get(id).then(
      (space) => {
        const current = this.#loading.get(id) === load;
        if (current) this.#loading.delete(id);
        if (!space) throw new RostraError('space_not_found');
        if (current) this.#records.set(id, space, Date.now());
        return space;
      },
      (err: unknown) => {
        if (this.#loading.get(id) === load) this.#loading.delete(id);
        throw err;
      },
    );
    this.#loading.set(id, load);
    return load;
  }

  /** The space record straight from the Store, for decisions that must not act on a stale state. */
  async fresh(id: string): Promise<Space> {
    const space = await this.#ctx.store.spaces.get(id);
    if (!space) throw new RostraError('space_not_found');
    this.#records.set(id, space, Date.now());
    return space;
  }

  /** Forgets what this node cached about a space (after a change). */
  invalidate(id: string): void {
    this.#records.delete(id);
    this.#loading.delete(id);
    this.#views.delete(id);
  }

  async create(caller: Caller, input: NewSpace): Promise<Space> {
    const hostId = Access.userOf(caller);
    const now = this.#ctx.clock.now();
    const { limits } = this.#ctx.config;
    if (input.topics.length > limits.maxTopics) {
      throw new RostraError('validation_failed', `A space has at most ${limits.maxTopics} topics.`);
    }
    let state: SpaceState = 'live';
    let scheduledFor: string | null = null;
    if (input.scheduledFor !== undefined) {
      const at = Date.parse(input.scheduledFor);
      const horizon = now.getTime() + limits.scheduleHorizonDays * 86_400_000;
      if (!Number.isFinite(at)) throw new RostraError('validation_failed', 'scheduledFor is not a date.');
      if (at <= now.getTime())
        throw new RostraError('validation_failed', 'scheduledFor must be in the future.');
      if (at > horizon) {
        throw new RostraError(
          'validation_failed',
          `A space can be scheduled at most ${limits.scheduleHorizonDays} days ahead.`,
        );
      }
      state = 'scheduled';
      scheduledFor = new Date(at).toISOString();
    }
    const space: Space = {
      id: newId(),
      hostId,
      title: input.title,
      topics: [...new Set(input.topics)],
      record: input.record,
      anonymousListening: input.anonymousListening,
      state,
      scheduledFor,
      startedAt: state === 'live' ? now.toISOString() : null,
      endedAt: null,
      createdAt: now.toISOString(),
    };
    const created = await this.#ctx.store.spaces.create(space);
    log.info({ spaceId: space.id, hostId, state }, 'space created');
    if (state === 'live')
      await this.#ctx.events.toSpace(space.id, {
        type: 'space.state',
        spaceId: space.id,
        state,
        at: space.createdAt,
      });
    return created;
  }

  /**
   * Opens the backstage of a scheduled space (host): its hosts publish and hear each other, listeners wait,
   * and nothing is broadcast or recorded until `start` (see MediaPlane).
   */
  async openBackstage(caller: Caller, id: string): Promise<Space> {
    const space = await this.fresh(id);
    this.#access.requireHost(space, caller);
    Access.requireState(space, 'scheduled');
    const opened = await this.#transition(space, ['scheduled'], 'backstage', {});
    log.info({ spaceId: id }, 'backstage opened');
    return opened;
  }

  /** Goes live: a scheduled space (host), or a backstage (host or co-host) without anyone reconnecting. */
  async start(caller: Caller, id: string): Promise<Space> {
    const space = await this.fresh(id);
    if (space.state === 'backstage') await this.#access.requireModerator(space, caller);
    else this.#access.requireHost(space, caller);
    Access.requireState(space, 'scheduled', 'backstage');
    const at = this.#ctx.clock.now().toISOString();
    const started = await this.#transition(space, ['scheduled', 'backstage'], 'live', { startedAt: at });
    // Everyone who asked to be told hears it now, on whichever node holds their socket.
    const interested = await this.#ctx.store.spaces.interestedUserIds(id);
    const pageUrl = this.pageUrl(id);
    await Promise.all(
      interested.map((userId) =>
        this.#ctx.events.toUser(userId, { type: 'reminder', spaceId: id, title: space.title, pageUrl }),
      ),
    );
    log.info({ spaceId: id, reminded: interested.length }, 'space started');
    return started;
  }

  async end(caller: Caller, id: string): Promise<Space> {
    const space = await this.fresh(id);
    this.#access.requireHost(space, caller);
    Access.requireState(space, 'live', 'backstage');
    const ended = await this.#transition(space, ['live', 'backstage'], 'ended', {
      endedAt: this.#ctx.clock.now().toISOString(),
    });
    await Promise.all([this.#ctx.store.requests.clearSpace(id), this.#audience.close(id)]);
    log.info({ spaceId: id }, 'space ended');
    return ended;
  }

  /**
   * Ends a live space (or a backstage) that nobody hosts any more (SpaceLifecycle). A compare-and-set: when several nodes
   * try at once, one wins and announces it; the others get false.
   */
  async endUnattended(id: string): Promise<boolean> {
    const at = this.#ctx.clock.now().toISOString();
    const ended = await this.#ctx.store.spaces.transition(id, ['live', 'backstage'], 'ended', {
      endedAt: at,
    });
    this.invalidate(id);
    if (!ended) return false;
    await this.#ctx.events.toSpace(id, { type: 'space.state', spaceId: id, state: 'ended', at });
    await Promise.all([this.#ctx.store.requests.clearSpace(id), this.#audience.close(id)]);
    log.info({ spaceId: id }, 'space ended: nobody hosts it');
    return true;
  }

  async cancel(caller: Caller, id: string): Promise<Space> {
    const space = await this.fresh(id);
    this.#access.requireHost(space, caller);
    Access.requireState(space, 'scheduled', 'backstage');
    return this.#transition(space, ['scheduled', 'backstage'], 'cancelled', {
      endedAt: this.#ctx.clock.now().toISOString(),
    });
  }

  async setInterest(caller: Caller, id: string, interested: boolean): Promise<void> {
    const userId = Access.userOf(caller);
    const space = await this.get(id);
    if (interested) {
      Access.requireState(space, 'scheduled', 'backstage');
      await this.#access.assertWelcome(space, userId);
      await this.#ctx.store.spaces.addInterest(id, userId);
    } else {
      await this.#ctx.store.spaces.removeInterest(id, userId);
    }
  }

  async list(
    state: 'live' | 'scheduled' | 'backstage',
    limit: number,
    cursor: string | undefined,
  ): Promise<{ spaces: SpaceView[]; nextCursor: string | null }> {
    const page = await this.#ctx.store.spaces.list({
      state,
      limit,
      ...(cursor !== undefined ? { cursor } : {}),
    });
    const spaces = await Promise.all(page.spaces.map((s) => this.view(s.id, s)));
    return { spaces, nextCursor: page.nextCursor };
  }

  /** The public, cacheable view: the same for every caller, so an HTTP cache can serve it. */
  async view(id: string, known?: Space): Promise<SpaceView> {
    const now = Date.now();
    const cached = this.#views.get(id, now);
    if (cached) return cached;
    const space = known ?? (await this.get(id));
    const members = await this.#ctx.store.stage.members(id);
    const users = await this.#ctx.store.users.byIds([space.hostId, ...members.map((m) => m.userId)]);
    const byId = new Map(users.map((u) => [u.id, u]));
    const userView = (uid: string): UserView => {
      const u = byId.get(uid);
      return {
        id: uid,
        handle: u?.handle ?? 'unknown',
        displayName: u?.displayName ?? 'Unknown',
        ...(u?.avatarUrl !== undefined ? { avatarUrl: u.avatarUrl } : {}),
      };
    };
    const order = { host: 0, cohost: 1, speaker: 2 } as const;
    const stage: StageMemberView[] = members
      .slice()
      .sort((a, b) => order[a.role] - order[b.role] || a.joinedAt.localeCompare(b.joinedAt))
      .map((m) => ({ ...userView(m.userId), role: m.role, muted: m.muted }));
    const view: SpaceView = {
      id: space.id,
      title: space.title,
      topics: [...space.topics],
      record: space.record,
      anonymousListening: space.anonymousListening,
      state: space.state,
      scheduledFor: space.scheduledFor,
      startedAt: space.startedAt,
      endedAt: space.endedAt,
      createdAt: space.createdAt,
      host: userView(space.hostId),
      stage,
      // In a backstage: how many wait for it to start.
      listenerCount:
        space.state === 'live' || space.state === 'backstage' ? await this.#audience.count(id) : 0,
      pageUrl: this.pageUrl(id),
    };
    this.#views.set(id, view, now);
    return view;
  }

  pageUrl(id: string): string {
    return `${this.#ctx.config.publicUrl}/s/${id}`;
  }

  async #transition(
    space: Space,
    from: SpaceState[],
    to: SpaceState,
    at: { startedAt?: string; endedAt?: string },
  ): Promise<Space> {
    const next = await this.#ctx.store.spaces.transition(space.id, from, to, at);
    this.invalidate(space.id);
    if (!next) {
      // Someone else moved it first (another node, a double click): report the state it is really in.
      const current = await this.fresh(space.id);
      Access.requireState(current, ...from);
      throw new RostraError('invalid_state');
    }
    await this.#ctx.events.toSpace(space.id, {
      type: 'space.state',
      spaceId: space.id,
      state: to,
      at: at.startedAt ?? at.endedAt ?? this.#ctx.clock.now().toISOString(),
    });
    return next;
  }
}
