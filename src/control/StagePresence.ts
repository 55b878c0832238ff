/**
 * Who of a space's stage is still connected somewhere, as every node can read it: the signed-in users
 * whose event socket watches the space (`e:<userId>`) and the users whose WHIP peer is up (`w:<userId>`),
 * in one Bus presence room per space. Each node writes what it holds, refreshed well inside the ttl, and
 * takes back at once what it no longer holds; a node that dies stops refreshing, and its entries run out.
 * SpaceLifecycle reads it to end abandoned spaces and drop ghost speakers.
 */
import type { Bus } from '../bus/Bus.js';
import { logger } from '../log/Logger.js';

const log = logger('control.presence');

/** What one node holds now: [spaceId, userId] pairs. */
export type Holdings = () => Iterable<readonly [spaceId: string, userId: string]>;

export interface StagePresenceSources {
  /** Signed-in users whose event socket on this node is subscribed to a space. */
  watching: Holdings;
  /** Users whose WHIP peer on this node is in a space's stage. */
  publishing: Holdings;
  /**
   * Who is on a space's stage now (a cached view is fine). Only they are written: a space watched by a
   * hundred thousand signed-in listeners must not cost a hundred thousand Bus writes per refresh.
   */
  stageOf: (spaceId: string) => Promise<ReadonlySet<string>>;
}

/** Entries live this long without a refresh (a dead node's entries vanish after it). */
export const STAGE_PRESENCE_TTL_MS = 45_000;
const REFRESH_MS = 15_000;

export class StagePresence {
  readonly #bus: Bus;
  readonly #sources: StagePresenceSources;
  /** room → members this node wrote at the last refresh. */
  #held = new Map<string, Set<string>>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(bus: Bus, sources: StagePresenceSources) {
    this.#bus = bus;
    this.#sources = sources;
  }

  static room(spaceId: string): string {
    return `stage:${spaceId}`;
  }

  /** Members present in a space's room: `e:<userId>` and `w:<userId>`. */
  static async present(bus: Bus, spaceId: string): Promise<Set<string>> {
    const out = new Set<string>();
    let cursor: string | undefined;
    // A stage has at most a few dozen entries; the loop guards against a room that grew by a bug.
    for (let page = 0; page < 10; page++) {
      const res = await bus.presence.list(StagePresence.room(spaceId), {
        limit: 100,
        ...(cursor !== undefined ? { cursor } : {}),
      });
      for (const m of res.members) out.add(m);
      if (res.nextCursor === null) break;
      cursor = res.nextCursor;
    }
    return out;
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => void this.refresh(), REFRESH_MS);
    this.#timer.unref();
  }

  /** Writes what this node holds now and takes back what it held before and no longer does. */
  refresh(): Promise<void> {
    // One at a time: a slow Bus must not pile refreshes up.
    this.#running ??= this.#refresh().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #refresh(): Promise<void> {
    const now = new Map<string, Set<string>>();
    const add = (spaceId: string, member: string) => {
      const room = StagePresence.room(spaceId);
      let set = now.get(room);
      if (!set) now.set(room, (set = new Set()));
      set.add(member);
    };
    const watching = new Map<string, string[]>();
    for (const [spaceId, userId] of this.#sources.watching()) {
      let users = watching.get(spaceId);
      if (!users) watching.set(spaceId, (users = []));
      users.push(userId);
    }
    for (const [spaceId, users] of watching) {
      let stage: ReadonlySet<string>;
      try {
        stage = await this.#sources.stageOf(spaceId);
      } catch (err) {
        log.debug({ err, spaceId }, 'no stage for a watched space'); // gone, or not found
        continue;
      }
      for (const userId of users) if (stage.has(userId)) add(spaceId, `e:${userId}`);
    }
    for (const [spaceId, userId] of this.#sources.publishing()) add(spaceId, `w:${userId}`);
    const writes: Promise<void>[] = [];
    for (const [room, members] of now)
      for (const m of members) writes.push(this.#bus.presence.touch(room, m, STAGE_PRESENCE_TTL_MS, true));
    for (const [room, members] of this.#held) {
      const kept = now.get(room);
      for (const m of members) if (!kept?.has(m)) writes.push(this.#bus.presence.leave(room, m));
    }
    this.#held = now;
    const failed = (await Promise.allSettled(writes)).filter((r) => r.status === 'rejected');
    if (failed.length > 0)
      log.warn(
        { failed: failed.length, err: (failed[0] as PromiseRejectedResult).reason },
        'presence write failed',
      );
  }

  /** Idempotent: stops refreshing and takes back everything this node wrote. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
    const held = this.#held;
    this.#held = new Map();
    await Promise.allSettled(
      [...held].flatMap(([room, members]) => [...members].map((m) => this.#bus.presence.leave(room, m))),
    );
  }
}
