/**
 * Roles and moderation on a space's stage, with X Spaces' rules: one host, co-hosts the host appoints,
 * speakers by request or invitation, mutes, taking the mic, removing people.
 */
import { RostraError } from '../errors/index.js';
import type { Space, SpeakRequest } from '../domain/types.js';
import type { StageCause } from '../contract/protocol.js';
import type { StageMemberView, UserView } from '../contract/rest.js';
import { Access, type Relation } from './Access.js';
import type { Audience } from './Audience.js';
import type { Caller, ControlContext } from './Context.js';
import type { Spaces } from './Spaces.js';

export class StageRoster {
  readonly #ctx: ControlContext;
  readonly #access: Access;
  readonly #spaces: Spaces;
  readonly #audience: Audience;

  constructor(ctx: ControlContext, access: Access, spaces: Spaces, audience: Audience) {
    this.#ctx = ctx;
    this.#access = access;
    this.#spaces = spaces;
    this.#audience = audience;
  }

  get #limits() {
    return {
      maxCohosts: this.#ctx.config.limits.maxCohosts,
      maxSpeakers: this.#ctx.config.limits.maxSpeakers,
    };
  }

  // ---- co-hosts (host only) ----

  async addCohost(caller: Caller, spaceId: string, targetId: string): Promise<void> {
    const space = await this.#live(spaceId);
    const hostId = this.#access.requireHost(space, caller);
    if (targetId === hostId) throw new RostraError('bad_request', 'The host cannot be a co-host.');
    await this.#existingWelcomeUser(space, targetId);
    const result = await this.#ctx.store.stage.put(spaceId, targetId, 'cohost', this.#limits);
    if (!result.ok) throw new RostraError(result.reason);
    await this.#clearPending(spaceId, targetId);
    await this.#changed(spaceId, 'cohost_added', targetId, hostId);
  }

  /** A removed co-host stays on stage as a speaker if there is room, else becomes a listener. */
  async removeCohost(caller: Caller, spaceId: string, targetId: string): Promise<void> {
    const space = await this.#live(spaceId);
    const hostId = this.#access.requireHost(space, caller);
    if ((await this.#access.relation(space, targetId)) !== 'cohost')
      throw new RostraError('not_found', 'That user is not a co-host.');
    const demoted = await this.#ctx.store.stage.put(spaceId, targetId, 'speaker', this.#limits);
    if (!demoted.ok) await this.#ctx.store.stage.remove(spaceId, targetId);
    await this.#changed(spaceId, 'cohost_removed', targetId, hostId);
  }

  // ---- requests to speak ----

  async requestToSpeak(caller: Caller, spaceId: string): Promise<SpeakRequest> {
    const userId = Access.userOf(caller);
    const space = await this.#live(spaceId);
    await this.#access.assertWelcome(space, userId);
    if ((await this.#access.relation(space, userId)) !== 'listener')
      throw new RostraError('already_exists', 'You are already on stage.');
    const pending = await this.#ctx.store.requests.hasRequest(spaceId, userId);
    // A repeat request is answered with the stored one (idempotent); only new ones count against the cap.
    if (
      !pending &&
      (await this.#ctx.store.requests.countRequests(spaceId)) >=
        this.#ctx.config.limits.pendingRequestsPerSpace
    ) {
      throw new RostraError(
        'rate_limited',
        'Too many people are asking to speak right now. Try again later.',
        { retryAfter: 30 },
      );
    }
    const request = await this.#ctx.store.requests.addRequest(
      spaceId,
      userId,
      this.#ctx.clock.now().toISOString(),
    );
    const [user] = await this.#users([userId]);
    if (user && !pending)
      await this.#ctx.events.toSpace(spaceId, { type: 'request.added', spaceId, user }, 'moderators');
    return request;
  }

  async cancelRequest(caller: Caller, spaceId: string): Promise<void> {
    const userId = Access.userOf(caller);
    await this.#spaces.get(spaceId);
    if (await this.#ctx.store.requests.removeRequest(spaceId, userId)) {
      await this.#ctx.events.toSpace(
        spaceId,
        { type: 'request.removed', spaceId, userId, outcome: 'cancelled' },
        'moderators',
      );
    }
  }

  async listRequests(caller: Caller, spaceId: string): Promise<{ user: UserView; createdAt: string }[]> {
    const space = await this.#spaces.get(spaceId);
    await this.#access.requireModerator(space, caller);
    const requests = await this.#ctx.store.requests.listRequests(
      spaceId,
      this.#ctx.config.limits.pendingRequestsPerSpace,
    );
    const users = new Map((await this.#users(requests.map((r) => r.userId))).map((u) => [u.id, u]));
    return requests.flatMap((r) => {
      const user = users.get(r.userId);
      return user ? [{ user, createdAt: r.createdAt }] : [];
    });
  }

  async answerRequest(caller: Caller, spaceId: string, targetId: string, accept: boolean): Promise<void> {
    const space = await this.#live(spaceId);
    const { userId } = await this.#access.requireModerator(space, caller);
    if (!(await this.#ctx.store.requests.hasRequest(spaceId, targetId)))
      throw new RostraError('not_found', 'There is no such request.');
    if (accept) {
      await this.#access.assertWelcome(space, targetId);
      const result = await this.#ctx.store.stage.put(spaceId, targetId, 'speaker', this.#limits);
      if (!result.ok) throw new RostraError(result.reason);
    }
    await this.#ctx.store.requests.removeRequest(spaceId, targetId);
    const outcome = accept ? 'accepted' : 'declined';
    await this.#ctx.events.toSpace(
      spaceId,
      { type: 'request.removed', spaceId, userId: targetId, outcome },
      'moderators',
    );
    await this.#ctx.events.toUser(targetId, { type: 'request.removed', spaceId, userId: targetId, outcome });
    if (accept) await this.#changed(spaceId, 'joined', targetId, userId);
  }

  // ---- invitations ----

  async invite(caller: Caller, spaceId: string, targetId: string): Promise<void> {
    const space = await this.#live(spaceId);
    const { userId } = await this.#access.requireModerator(space, caller);
    await this.#existingWelcomeUser(space, targetId);
    if ((await this.#access.relation(space, targetId)) !== 'listener')
      throw new RostraError('already_exists', 'That user is already on stage.');
    await this.#ctx.store.requests.addInvitation({
      spaceId,
      userId: targetId,
      invitedBy: userId,
      createdAt: this.#ctx.clock.now().toISOString(),
    });
    const [by] = await this.#users([userId]);
    if (by) await this.#ctx.events.toUser(targetId, { type: 'invitation', spaceId, by });
  }

  async answerInvitation(caller: Caller, spaceId: string, accept: boolean): Promise<void> {
    const userId = Access.userOf(caller);
    const space = await this.#live(spaceId);
    const invitation = await this.#ctx.store.requests.getInvitation(spaceId, userId);
    if (!invitation) throw new RostraError('not_found', 'You have no invitation to speak here.');
    if (accept) {
      await this.#access.assertWelcome(space, userId);
      const result = await this.#ctx.store.stage.put(spaceId, userId, 'speaker', this.#limits);
      if (!result.ok) throw new RostraError(result.reason);
    }
    await this.#ctx.store.requests.removeInvitation(spaceId, userId);
    await this.#ctx.store.requests.removeRequest(spaceId, userId);
    const outcome = accept ? 'accepted' : 'declined';
    await this.#ctx.events.toSpace(
      spaceId,
      { type: 'invitation.removed', spaceId, userId, outcome },
      'moderators',
    );
    if (accept) await this.#changed(spaceId, 'joined', userId, invitation.invitedBy);
  }

  // ---- on stage ----

  /** A speaker or co-host steps down to listening. The host ends the space instead. */
  async leaveStage(caller: Caller, spaceId: string): Promise<void> {
    const userId = Access.userOf(caller);
    const space = await this.#live(spaceId);
    const relation = await this.#access.relation(space, userId);
    if (relation === 'host')
      throw new RostraError('forbidden', 'The host ends the space instead of leaving the stage.');
    if (relation === 'listener') throw new RostraError('not_on_stage');
    await this.#ctx.store.stage.remove(spaceId, userId);
    await this.#changed(spaceId, 'left', userId, userId);
  }

  /** A speaker whose WHIP peer stayed gone leaves the stage (SpaceLifecycle); false if someone was faster. */
  async dropDisconnected(spaceId: string, userId: string): Promise<boolean> {
    const member = await this.#ctx.store.stage.member(spaceId, userId);
    if (member?.role !== 'speaker') return false;
    if (!(await this.#ctx.store.stage.remove(spaceId, userId))) return false;
    await this.#changed(spaceId, 'disconnected', userId, null);
    return true;
  }

  /** Moderators mute anyone they outrank; anyone on stage mutes themself. */
  async mute(caller: Caller, spaceId: string, targetId: string): Promise<void> {
    const space = await this.#live(spaceId);
    const actorId = Access.userOf(caller);
    const target = await this.#access.relation(space, targetId);
    if (actorId !== targetId) {
      const { role } = await this.#access.requireModerator(space, caller);
      this.#access.assertOutranks(role, target);
    }
    if (target === 'listener') throw new RostraError('not_on_stage', 'That user is not on stage.');
    await this.#ctx.store.stage.setMuted(spaceId, targetId, true);
    await this.#changed(spaceId, 'muted', targetId, actorId);
  }

  /** Only the speaker unmutes themself, as on X: nobody turns on someone else's mic. */
  async unmute(caller: Caller, spaceId: string, targetId: string): Promise<void> {
    const space = await this.#live(spaceId);
    const actorId = Access.userOf(caller);
    if (actorId !== targetId) throw new RostraError('forbidden', 'Only speakers can unmute themselves.');
    if ((await this.#access.relation(space, actorId)) === 'listener') throw new RostraError('not_on_stage');
    await this.#ctx.store.stage.setMuted(spaceId, actorId, false);
    await this.#changed(spaceId, 'unmuted', actorId, actorId);
  }

  async muteAll(caller: Caller, spaceId: string): Promise<void> {
    const space = await this.#live(spaceId);
    const { userId } = await this.#access.requireModerator(space, caller);
    // Co-hosts cannot silence the host; the host silences everyone but themself.
    const changed = await this.#ctx.store.stage.muteAll(spaceId, userId);
    if (userId !== space.hostId && changed.includes(space.hostId))
      await this.#ctx.store.stage.setMuted(spaceId, space.hostId, false);
    await this.#changed(spaceId, 'mute_all', null, userId);
  }

  /** Takes a speaker's (or, for the host, a co-host's) mic: they are a listener again. */
  async takeMic(caller: Caller, spaceId: string, targetId: string): Promise<void> {
    const space = await this.#live(spaceId);
    const { userId, role } = await this.#access.requireModerator(space, caller);
    const target = await this.#access.relation(space, targetId);
    this.#access.assertOutranks(role, target);
    if (target === 'listener') throw new RostraError('not_on_stage', 'That user is not on stage.');
    await this.#ctx.store.stage.remove(spaceId, targetId);
    await this.#changed(spaceId, 'mic_taken', targetId, userId);
  }

  /** Removes a user from the space for good: off stage, out of the count, and unable to rejoin. */
  async removeUser(caller: Caller, spaceId: string, targetId: string): Promise<void> {
    const space = await this.#live(spaceId);
    const { userId, role } = await this.#access.requireModerator(space, caller);
    const target: Relation = await this.#access.relation(space, targetId);
    this.#access.assertOutranks(role, target);
    await this.#ctx.store.users.byId(targetId).then((u) => {
      if (!u) throw new RostraError('user_not_found');
    });
    await this.#ctx.store.removals.add(spaceId, targetId, userId, this.#ctx.clock.now().toISOString());
    // Their tickets stop at once on every node: media, heartbeats, reactions (the guard's revocations).
    await this.#ctx.guard.revocations.revoke(spaceId, targetId);
    const wasOnStage = await this.#ctx.store.stage.remove(spaceId, targetId);
    await this.#clearPending(spaceId, targetId);
    await this.#audience.evict(spaceId, targetId);
    await this.#ctx.events.toUser(targetId, { type: 'removed', spaceId });
    if (wasOnStage) await this.#changed(spaceId, 'removed', targetId, userId);
  }

  /**
   * Who may publish audio (WHIP): the caller, on the stage of a live space they are welcome in.
   * Returns the space and whether they are muted now.
   */
  async publisher(
    caller: Caller,
    spaceId: string,
  ): Promise<{ space: Space; userId: string; muted: boolean }> {
    const userId = Access.userOf(caller);
    const space = await this.#live(spaceId);
    await this.#access.assertWelcome(space, userId);
    const seat = await this.seat(spaceId, userId);
    if (!seat) throw new RostraError('not_on_stage', 'Only the host, co-hosts and speakers can publish.');
    return { space, userId, muted: seat.muted };
  }

  /** A user's seat on stage right now (read from the Store, not a cache), or undefined when off stage. */
  async seat(spaceId: string, userId: string): Promise<{ muted: boolean } | undefined> {
    const member = await this.#ctx.store.stage.member(spaceId, userId);
    return member ? { muted: member.muted } : undefined;
  }

  /** The stage as the API shows it. */
  async view(spaceId: string): Promise<StageMemberView[]> {
    return (await this.#spaces.view(spaceId)).stage;
  }

  // ---- helpers ----

  async #live(spaceId: string): Promise<Space> {
    const space = await this.#spaces.get(spaceId);
    // A backstage is a stage too: its hosts add co-hosts and speakers before it goes live.
    Access.requireState(space, 'live', 'backstage');
    return space;
  }

  async #existingWelcomeUser(space: Space, userId: string): Promise<void> {
    if (!(await this.#ctx.store.users.byId(userId))) throw new RostraError('user_not_found');
    await this.#access.assertWelcome(space, userId);
  }

  async #clearPending(spaceId: string, userId: string): Promise<void> {
    await Promise.all([
      this.#ctx.store.requests.removeRequest(spaceId, userId),
      this.#ctx.store.requests.removeInvitation(spaceId, userId),
    ]);
  }

  async #users(ids: string[]): Promise<UserView[]> {
    const users = await this.#ctx.store.users.byIds(ids);
    return users.map((u) => ({
      id: u.id,
      handle: u.handle,
      displayName: u.displayName,
      ...(u.avatarUrl !== undefined ? { avatarUrl: u.avatarUrl } : {}),
    }));
  }

  /** Tells every node's clients the new stage; also the signal the stage plane acts on (mute, close peers). */
  async #changed(
    spaceId: string,
    cause: StageCause,
    userId: string | null,
    by: string | null,
  ): Promise<void> {
    this.#spaces.invalidate(spaceId);
    const stage = await this.view(spaceId);
    await this.#ctx.events.toSpace(spaceId, { type: 'stage.changed', spaceId, cause, userId, by, stage });
  }
}
