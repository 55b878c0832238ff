/**
 * Pinned posts: the host and co-hosts pin up to MAX_PINS links to the top of a space while it is live or
 * scheduled. Everyone sees them at once (a `pins.changed` event), and they stay on the replay. The server
 * stores the link and never fetches it.
 */
import { MAX_PINS, type PinInput, type PinView } from '../contract/experience.js';
import type { UserView } from '../contract/rest.js';
import type { Space } from '../domain/types.js';
import { RostraError } from '../errors/index.js';
import type { Pin } from '../store/Store.js';
import { newId } from '../util/ids.js';
import { Access } from './Access.js';
import type { Caller, ControlContext } from './Context.js';
import type { Spaces } from './Spaces.js';

export class Pins {
  readonly #ctx: ControlContext;
  readonly #access: Access;
  readonly #spaces: Spaces;

  constructor(ctx: ControlContext, access: Access, spaces: Spaces) {
    this.#ctx = ctx;
    this.#access = access;
    this.#spaces = spaces;
  }

  /** Anyone: the pins of a space in any state (a replay keeps them). */
  async list(spaceId: string): Promise<PinView[]> {
    await this.#spaces.get(spaceId);
    return this.#views(await this.#ctx.store.pins.list(spaceId));
  }

  async add(caller: Caller, spaceId: string, input: PinInput): Promise<PinView> {
    const space = await this.#open(spaceId);
    const { userId } = await this.#access.requireModerator(space, caller);
    const result = await this.#ctx.store.pins.add(
      {
        id: newId(),
        spaceId,
        title: input.title,
        url: new URL(input.url).href,
        pinnedBy: userId,
        createdAt: this.#ctx.clock.now().toISOString(),
      },
      MAX_PINS,
    );
    if (!result.ok) throw new RostraError('pin_limit');
    const [view] = await this.#views([result.pin]);
    await this.#changed(spaceId);
    return view as PinView;
  }

  async remove(caller: Caller, spaceId: string, pinId: string): Promise<void> {
    const space = await this.#open(spaceId);
    await this.#access.requireModerator(space, caller);
    if (!(await this.#ctx.store.pins.remove(spaceId, pinId)))
      throw new RostraError('not_found', 'There is no such pin in this space.');
    await this.#changed(spaceId);
  }

  /** Pins change only before and during a space; after it they are part of its record. */
  async #open(spaceId: string): Promise<Space> {
    const space = await this.#spaces.fresh(spaceId);
    Access.requireState(space, 'live', 'scheduled', 'backstage');
    return space;
  }

  async #changed(spaceId: string): Promise<PinView[]> {
    const pins = await this.#views(await this.#ctx.store.pins.list(spaceId));
    await this.#ctx.events.toSpace(spaceId, { type: 'pins.changed', spaceId, pins });
    return pins;
  }

  async #views(pins: Pin[]): Promise<PinView[]> {
    const users = await this.#ctx.store.users.byIds([...new Set(pins.map((p) => p.pinnedBy))]);
    const byId = new Map<string, UserView>(
      users.map((u) => [
        u.id,
        {
          id: u.id,
          handle: u.handle,
          displayName: u.displayName,
          ...(u.avatarUrl !== undefined ? { avatarUrl: u.avatarUrl } : {}),
        },
      ]),
    );
    return pins.map((p) => ({
      id: p.id,
      title: p.title,
      url: p.url,
      pinnedBy: byId.get(p.pinnedBy) ?? { id: p.pinnedBy, handle: 'unknown', displayName: 'Unknown' },
      createdAt: p.createdAt,
    }));
  }
}
