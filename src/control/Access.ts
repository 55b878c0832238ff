/**
 * Who may do what in a space. Every rule that decides between "allowed" and a coded 403 lives here, so the
 * permissions matrix has one source.
 */
import { RostraError } from '../errors/index.js';
import type { Space, StageRole } from '../domain/types.js';
import type { Caller, ControlContext } from './Context.js';

/** A user's standing in one space. */
export type Relation = StageRole | 'listener';

export class Access {
  readonly #ctx: ControlContext;
  constructor(ctx: ControlContext) {
    this.#ctx = ctx;
  }

  /** The signed-in user id, or 401. */
  static userOf(caller: Caller): string {
    if (!caller) throw new RostraError('unauthenticated');
    return caller.userId;
  }

  async relation(space: Space, userId: string): Promise<Relation> {
    if (space.hostId === userId) return 'host';
    const member = await this.#ctx.store.stage.member(space.id, userId);
    return member?.role ?? 'listener';
  }

  /** Refuses users removed from this space or blocked by its host. */
  async assertWelcome(space: Space, userId: string): Promise<void> {
    if (userId === space.hostId) return;
    const [removed, blocked] = await Promise.all([
      this.#ctx.store.removals.has(space.id, userId),
      this.#ctx.store.blocks.has(space.hostId, userId),
    ]);
    if (removed) throw new RostraError('removed_from_space');
    if (blocked) throw new RostraError('blocked_by_host');
  }

  requireHost(space: Space, caller: Caller): string {
    const userId = Access.userOf(caller);
    if (userId !== space.hostId) throw new RostraError('not_host');
    return userId;
  }

  /** Host or co-host; returns the caller's id and role. */
  async requireModerator(space: Space, caller: Caller): Promise<{ userId: string; role: 'host' | 'cohost' }> {
    const userId = Access.userOf(caller);
    const relation = await this.relation(space, userId);
    if (relation !== 'host' && relation !== 'cohost') throw new RostraError('not_moderator');
    return { userId, role: relation };
  }

  /**
   * May a moderator act on `target`'s place on stage (mute, take the mic, remove)? Nobody acts on the host;
   * only the host acts on a co-host.
   */
  assertOutranks(actorRole: 'host' | 'cohost', targetRelation: Relation): void {
    if (targetRelation === 'host') throw new RostraError('forbidden', 'Nobody can do this to the host.');
    if (targetRelation === 'cohost' && actorRole !== 'host') throw new RostraError('not_host');
  }

  static requireState(space: Space, ...states: Space['state'][]): void {
    if (states.includes(space.state)) return;
    if (space.state === 'ended' || space.state === 'cancelled') throw new RostraError('space_ended');
    throw new RostraError(
      'invalid_state',
      `The space is ${space.state}; this needs it ${states.join(' or ')}.`,
    );
  }
}
