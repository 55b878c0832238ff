/**
 * The faces in a space's audience: a bounded sample of the signed-in listeners (from the Bus's presence,
 * any node), and how many others there are. The answer is the same for every caller and kept for 2 s per
 * node, so a crowd polling it costs one presence page and one user lookup per node every 2 s, and an HTTP
 * cache in front absorbs the rest. Nothing is written per listener.
 */
import type { ListenerFaces as FacesView, UserView } from '../contract/rest.js';
import { TtlCache } from '../util/TtlCache.js';
import { Audience } from './Audience.js';
import type { ControlContext } from './Context.js';

/** At most this many faces: a row on a phone, two or three on a desktop. */
export const MAX_FACES = 48;
const CACHE_MS = 2000;

export class ListenerFaces {
  readonly #ctx: ControlContext;
  readonly #audience: Audience;
  readonly #cache = new TtlCache<string, FacesView>(CACHE_MS, 1000);

  constructor(ctx: ControlContext, audience: Audience) {
    this.#ctx = ctx;
    this.#audience = audience;
  }

  async faces(spaceId: string): Promise<FacesView> {
    const nowMs = Date.now();
    const cached = this.#cache.get(spaceId, nowMs);
    if (cached) return cached;
    // People on stage are shown on the stage, not again among the listeners: ask for a few more.
    const onStage = new Set((await this.#ctx.store.stage.members(spaceId)).map((m) => m.userId));
    const page = await this.#audience.listeners(spaceId, MAX_FACES + onStage.size, undefined);
    const faces: UserView[] = page.users
      .filter((u) => !onStage.has(u.id))
      .slice(0, MAX_FACES)
      .map((u) => ({
        id: u.id,
        handle: u.handle,
        displayName: u.displayName,
        ...(u.avatarUrl !== undefined ? { avatarUrl: u.avatarUrl } : {}),
      }));
    // Counted now, not from the Audience's 1 s cache, so the faces and the count are one moment's (and
    // never fewer than the faces just listed: a member may come between the two reads).
    const count = Math.max(await this.#ctx.bus.presence.count(Audience.room(spaceId)), faces.length);
    const view: FacesView = { faces, count, others: count - faces.length };
    this.#cache.set(spaceId, view, nowMs);
    return view;
  }
}
