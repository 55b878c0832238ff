/**
 * Host analytics without a Store write per listener. Every node samples every live space each
 * `sampleMs`: the cluster's live count (Bus presence), its unique listeners (a HyperLogLog in Redis, fed
 * once per join by Audience) and who is on stage, and merges that into the Store in a time bucket shared
 * by all nodes (GREATEST wins), so N nodes give one curve, not N. A space that stopped being live gets a
 * last sample, so the final uniques are kept after the Bus forgets them.
 */
import type { Bus } from '../bus/Bus.js';
import type { SpaceAnalytics as AnalyticsView } from '../contract/experience.js';
import type { Space } from '../domain/types.js';
import { logger } from '../log/Logger.js';
import type { Store } from '../store/Store.js';
import { Audience } from './Audience.js';
import type { Clock } from './Clock.js';

const log = logger('control.analytics');
const PAGE = 100;
/** A space's curve keeps at most this many points in an answer (2 h at 10 s). */
const MAX_POINTS = 720;

export interface SpaceAnalyticsOptions {
  store: Pick<Store, 'spaces' | 'stage' | 'analytics' | 'recordings'>;
  bus: Bus;
  clock: Clock;
  /** Default 10 s. */
  sampleMs?: number;
}

export class SpaceAnalytics {
  readonly #opts: SpaceAnalyticsOptions;
  readonly sampleMs: number;
  /** Spaces live at the last pass: one that is gone gets a final sample. */
  #lastLive = new Set<string>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<number> | undefined;

  constructor(opts: SpaceAnalyticsOptions) {
    this.#opts = opts;
    this.sampleMs = opts.sampleMs ?? 10_000;
  }

  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      this.sample().catch((err: unknown) => log.warn({ err }, 'analytics sampling failed'));
    }, this.sampleMs);
    this.#timer.unref();
  }

  /** One pass over every live space; returns how many spaces were sampled. Tests call it directly. */
  sample(): Promise<number> {
    this.#running ??= this.#sample().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #sample(): Promise<number> {
    const now = this.#opts.clock.now().getTime();
    const at = new Date(now - (now % this.sampleMs)).toISOString();
    const live = new Set<string>();
    let cursor: string | undefined;
    do {
      const page = await this.#opts.store.spaces.list({
        state: 'live',
        limit: PAGE,
        ...(cursor !== undefined ? { cursor } : {}),
      });
      for (const space of page.spaces) {
        live.add(space.id);
        await this.#record(space.id, at).catch((err: unknown) =>
          log.warn({ err, spaceId: space.id }, 'could not sample a space'),
        );
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    for (const id of this.#lastLive) {
      if (!live.has(id))
        await this.#record(id, at).catch((err: unknown) =>
          log.warn({ err, spaceId: id }, 'could not take the last sample'),
        );
    }
    this.#lastLive = live;
    return live.size;
  }

  async #record(spaceId: string, at: string): Promise<void> {
    const room = Audience.room(spaceId);
    const [listeners, uniqueListeners, stage] = await Promise.all([
      this.#opts.bus.presence.count(room),
      this.#opts.bus.uniques.count(room),
      this.#opts.store.stage.members(spaceId),
    ]);
    await this.#opts.store.analytics.record(spaceId, {
      at,
      listeners,
      uniqueListeners,
      stageUserIds: stage.map((m) => m.userId),
    });
  }

  /** The numbers for a space (the caller checked who may see them). */
  async report(space: Space): Promise<AnalyticsView> {
    const room = Audience.room(space.id);
    const live = space.state === 'live';
    const [stats, recording, liveListeners, busUniques] = await Promise.all([
      this.#opts.store.analytics.get(space.id, MAX_POINTS),
      this.#opts.store.recordings.get(space.id),
      live ? this.#opts.bus.presence.count(room) : Promise.resolve(0),
      live ? this.#opts.bus.uniques.count(room) : Promise.resolve(0),
    ]);
    const start = space.startedAt !== null ? Date.parse(space.startedAt) : NaN;
    const end = space.endedAt !== null ? Date.parse(space.endedAt) : this.#opts.clock.now().getTime();
    return {
      spaceId: space.id,
      state: space.state,
      startedAt: space.startedAt,
      endedAt: space.endedAt,
      durationSeconds: Number.isFinite(start) ? Math.max(0, Math.round((end - start) / 1000)) : 0,
      liveListeners,
      // The live figures may be ahead of the last sample.
      peakListeners: Math.max(stats.peakListeners, liveListeners),
      uniqueListeners: Math.max(stats.uniqueListeners, busUniques),
      speakers: stats.speakers,
      replayPlays: recording?.plays ?? 0,
      curve: stats.curve,
      sampleSeconds: Math.round(this.sampleMs / 1000),
    };
  }

  /** Idempotent. */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => undefined);
  }
}
