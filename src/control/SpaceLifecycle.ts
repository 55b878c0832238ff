/**
 * Spaces end on their own. Every so often each node looks at every live space (and every backstage):
 * - if none of its host and co-hosts has been connected (no event socket watching it, no WHIP peer; see
 *   StagePresence) for `hostAbsentMs`, the space ends, and with it its recording is published;
 * - a speaker whose WHIP peer has been gone for `ghostSpeakerMs` leaves the stage.
 * Safe on every node at once: how long someone has been gone is timed by each node on its own clock, and
 * the change itself is a compare-and-set in the Store (the end) or a delete that reports whether it did
 * anything (the stage), so only one node acts and announces it.
 */
import type { Bus } from '../bus/Bus.js';
import type { Space, StageMember } from '../domain/types.js';
import { logger } from '../log/Logger.js';
import type { Store } from '../store/Store.js';
import type { Clock } from './Clock.js';
import { StagePresence } from './StagePresence.js';

const log = logger('control.lifecycle');

export interface SpaceLifecycleOptions {
  store: Pick<Store, 'spaces' | 'stage'>;
  bus: Bus;
  clock: Clock;
  hostAbsentMs: number;
  ghostSpeakerMs: number;
  /** Ends a space nobody hosts (a no-op if it is no longer live or backstage); returns whether this call ended it. */
  endSpace: (spaceId: string) => Promise<boolean>;
  /** Takes a ghost speaker off the stage; returns whether this call removed them. */
  dropSpeaker: (spaceId: string, userId: string) => Promise<boolean>;
  /** Default 15 s. */
  intervalMs?: number;
}

export interface SweepResult {
  ended: string[];
  dropped: { spaceId: string; userId: string }[];
}

const PAGE = 100;

export class SpaceLifecycle {
  readonly #opts: SpaceLifecycleOptions;
  /** spaceId → when this node first saw it with no host or co-host connected. */
  #hostsGoneSince = new Map<string, number>();
  /** `spaceId/userId` → when this node first saw that speaker with no WHIP peer. */
  #peerGoneSince = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<SweepResult> | undefined;

  constructor(opts: SpaceLifecycleOptions) {
    this.#opts = opts;
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      this.sweep().catch((err: unknown) => log.warn({ err }, 'lifecycle sweep failed'));
    }, this.#opts.intervalMs ?? 15_000);
    this.#timer.unref();
  }

  /** One pass over every live space (tests call it directly, with a manual clock). */
  sweep(): Promise<SweepResult> {
    this.#running ??= this.#sweep().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #sweep(): Promise<SweepResult> {
    const result: SweepResult = { ended: [], dropped: [] };
    const hostsGone = new Map<string, number>();
    const peerGone = new Map<string, number>();
    // A backstage whose hosts all left ends too: nobody is left to take it live, and its waiting room
    // would otherwise wait forever (it was never live, so there is no recording to publish).
    for (const state of ['live', 'backstage'] as const) {
      let cursor: string | undefined;
      do {
        const page = await this.#opts.store.spaces.list({
          state,
          limit: PAGE,
          ...(cursor !== undefined ? { cursor } : {}),
        });
        for (const space of page.spaces) {
          try {
            await this.#check(space, result, hostsGone, peerGone);
          } catch (err) {
            log.warn({ err, spaceId: space.id }, 'could not check a live space');
          }
        }
        cursor = page.nextCursor ?? undefined;
      } while (cursor !== undefined);
    }
    // Only spaces still live (and people still on stage) keep their timers.
    this.#hostsGoneSince = hostsGone;
    this.#peerGoneSince = peerGone;
    return result;
  }

  async #check(
    space: Space,
    result: SweepResult,
    hostsGone: Map<string, number>,
    peerGone: Map<string, number>,
  ): Promise<void> {
    const now = this.#opts.clock.now().getTime();
    const [members, present] = await Promise.all([
      this.#opts.store.stage.members(space.id),
      StagePresence.present(this.#opts.bus, space.id),
    ]);
    const connected = (m: StageMember) => present.has(`e:${m.userId}`) || present.has(`w:${m.userId}`);
    const hosts = members.filter((m) => m.role !== 'speaker');
    if (!hosts.some(connected)) {
      const since = this.#hostsGoneSince.get(space.id) ?? now;
      if (now - since >= this.#opts.hostAbsentMs) {
        if (await this.#opts.endSpace(space.id)) {
          result.ended.push(space.id);
          log.info({ spaceId: space.id, goneMs: now - since }, 'space ended: its hosts are gone');
        }
        return;
      }
      hostsGone.set(space.id, since);
    }
    for (const m of members) {
      if (m.role !== 'speaker' || present.has(`w:${m.userId}`)) continue;
      const key = `${space.id}/${m.userId}`;
      const since = this.#peerGoneSince.get(key) ?? now;
      if (now - since < this.#opts.ghostSpeakerMs) {
        peerGone.set(key, since);
        continue;
      }
      if (await this.#opts.dropSpeaker(space.id, m.userId)) {
        result.dropped.push({ spaceId: space.id, userId: m.userId });
        log.info({ spaceId: space.id, userId: m.userId }, 'ghost speaker left the stage');
      }
    }
  }

  /** Idempotent. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => undefined);
  }
}
