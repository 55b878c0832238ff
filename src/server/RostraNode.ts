/**
 * One Rostra node: the Store, the Bus, the control plane and the HTTP server, opened in order and closed in
 * reverse. `rostra serve` runs one; tests run several.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PasswordParams } from '../auth/Passwords.js';
import { openBus, type Bus } from '../bus/index.js';
import type { Config } from '../config/Config.js';
import type { Clock } from '../control/Clock.js';
import { ControlPlane } from '../control/ControlPlane.js';
import { HttpServer } from '../api/HttpServer.js';
import { Metrics } from '../metrics/Metrics.js';
import { logger, setLogLevel } from '../log/Logger.js';
import { openStore, type Store } from '../store/index.js';
import { LiveOrigin, liveRoutes } from '../api/routes/live.js';
import { MediaPlane } from '../media/MediaPlane.js';
import { MediaOwnership } from '../media/MediaOwnership.js';
import { registerOwnerProxy } from '../api/OwnerProxy.js';
import { whipRoutes } from '../api/routes/whip.js';
import { registerReplayFiles, replayRoutes } from '../api/routes/replay.js';
import { Recordings } from '../recording/index.js';
import { SpaceLifecycle } from '../control/SpaceLifecycle.js';
import { StagePresence } from '../control/StagePresence.js';
import { SpaceAnalytics } from '../control/SpaceAnalytics.js';
import { analyticsRoutes } from '../api/routes/analytics.js';
import { registerTimeShift } from '../api/routes/timeshift.js';
import { clipPreviewSource, clipRoutes, registerClipFiles } from '../api/routes/clips.js';
import { Clips } from '../recording/Clips.js';

const log = logger('node');

export interface RostraNodeOptions {
  config: Config;
  clock?: Clock;
  passwordParams?: PasswordParams;
  /** Use these instead of opening from the config (tests share one Store between nodes). */
  store?: Store;
  bus?: Bus;
  /** The web app build to serve (see HttpServerOptions.webDist). */
  webDist?: string | null;
  /** See HttpServerOptions.checkResponses. */
  checkResponses?: boolean;
}

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

export class RostraNode {
  readonly config: Config;
  readonly store: Store;
  readonly bus: Bus;
  readonly plane: ControlPlane;
  readonly media: MediaPlane;
  readonly recordings: Recordings | undefined;
  /** Clips cut from recordings (on a node without a data dir, every request answers no_recording). */
  readonly clips: Clips;
  readonly http: HttpServer;
  /** Which node runs each live space's media (a lease in the Bus). */
  readonly ownership: MediaOwnership;
  /** Who of each stage is connected to this node, written to the Bus. */
  readonly stagePresence: StagePresence;
  /** Ends abandoned spaces and drops ghost speakers (on every node; see SpaceLifecycle). */
  readonly lifecycle: SpaceLifecycle;
  /** Samples every live space's audience into the Store (host analytics). */
  readonly analytics: SpaceAnalytics;
  readonly #ownsStore: boolean;
  readonly #ownsBus: boolean;
  #closing: Promise<void> | undefined;

  private constructor(parts: {
    config: Config;
    store: Store;
    bus: Bus;
    plane: ControlPlane;
    media: MediaPlane;
    recordings: Recordings | undefined;
    clips: Clips;
    http: HttpServer;
    ownsStore: boolean;
    ownsBus: boolean;
    ownership: MediaOwnership;
    analytics: SpaceAnalytics;
  }) {
    const { plane, media } = parts;
    this.analytics = parts.analytics;
    this.stagePresence = new StagePresence(parts.bus, {
      watching: () => parts.http.events.watchers(),
      publishing: function* () {
        for (const spaceId of media.liveSpaceIds())
          for (const userId of media.get(spaceId)?.stage.speakers() ?? []) yield [spaceId, userId] as const;
      },
      stageOf: async (spaceId) => new Set((await plane.spaces.view(spaceId)).stage.map((m) => m.id)),
    });
    this.lifecycle = new SpaceLifecycle({
      store: parts.store,
      bus: parts.bus,
      clock: plane.ctx.clock,
      hostAbsentMs: parts.config.lifecycle.hostAbsentMinutes * 60_000,
      ghostSpeakerMs: parts.config.lifecycle.ghostSpeakerSeconds * 1000,
      endSpace: (id) => plane.spaces.endUnattended(id),
      dropSpeaker: (id, userId) => plane.stage.dropDisconnected(id, userId),
    });
    this.ownership = parts.ownership;
    this.config = parts.config;
    this.store = parts.store;
    this.bus = parts.bus;
    this.plane = parts.plane;
    this.media = parts.media;
    this.recordings = parts.recordings;
    this.clips = parts.clips;
    this.http = parts.http;
    this.#ownsStore = parts.ownsStore;
    this.#ownsBus = parts.ownsBus;
  }

  /** Opens everything; does not listen yet (tests may use `http.app.inject`). */
  static async open(opts: RostraNodeOptions): Promise<RostraNode> {
    const { config } = opts;
    setLogLevel(config.logLevel);
    const store =
      opts.store ??
      (await openStore({
        ...(config.databaseUrl !== undefined ? { databaseUrl: config.databaseUrl } : {}),
        ...(config.dataDir !== '' ? { dataDir: join(config.dataDir, 'db') } : {}),
      }));
    let bus: Bus | undefined;
    try {
      bus = opts.bus ?? (await openBus(config.redisUrl !== undefined ? { redisUrl: config.redisUrl } : {}));
      const plane = await ControlPlane.start({
        config,
        store,
        bus,
        ...(opts.clock ? { clock: opts.clock } : {}),
        ...(opts.passwordParams ? { passwordParams: opts.passwordParams } : {}),
      });
      // Recording needs a disk: a node on an in-memory data dir (tests) does not record.
      const recordings =
        config.dataDir === ''
          ? undefined
          : new Recordings({
              store,
              recordingsDir: join(config.dataDir, 'recordings'),
              retentionDays: config.media.retentionDays,
            });
      const clips = new Clips({
        store,
        recordingsDir: recordings?.recordingsDir,
        retentionDays: config.media.clipRetentionDays,
      });
      const metrics = new Metrics();
      const analytics = new SpaceAnalytics({ store, bus, clock: plane.ctx.clock });
      // One owner per live space in a cluster: media is created only under the space's lease. The
      // internal URL is fixed at listen() when the port is chosen by the system.
      let dropSpace: (spaceId: string) => void = () => undefined;
      const ownership = new MediaOwnership({
        leases: bus.leases,
        leaseMs: config.cluster.leaseMs,
        internalUrl: config.internalUrl ?? `http://127.0.0.1:${config.port}`,
        onLost: (spaceId) => dropSpace(spaceId),
      });
      const media = new MediaPlane(
        plane,
        recordings
          ? {
              created: (space, m) => recordings.started(space, m),
              ended: (space) => recordings.ended(space.id),
              stopped: (space) => recordings.stopped(space.id),
            }
          : {},
        metrics,
        ownership,
      );
      dropSpace = (spaceId) => {
        media.drop(spaceId).catch((err: unknown) => log.error({ err, spaceId }, 'could not drop lost media'));
      };
      const { guard } = plane.ctx;
      metrics.observeGuard(() => ({
        pressureLevel: guard.pressure.level,
        open: {
          connections: guard.connections.total,
          websockets: guard.websockets.total,
          held: guard.held.total,
          lane: guard.lane.size,
          newcomers: guard.newcomers.size,
        },
        shed: { ...guard.shed },
      }));
      metrics.countListenersWith(() =>
        Promise.all(
          media
            .liveSpaceIds()
            .map(async (id): Promise<[string, number]> => [id, await plane.audience.count(id)]),
        ),
      );
      await recordings?.start();
      await clips.start();
      const live = new LiveOrigin(plane, media, metrics);
      // Whether this node answers a space's media requests itself; else the owner proxy forwards them.
      const runsHere = (spaceId: string) => ownership.owns(spaceId) && media.get(spaceId) !== undefined;
      const http = await HttpServer.create({
        plane,
        metrics,
        speakingNow: (spaceId) => media.get(spaceId)?.speakingNow() ?? [],
        version: packageVersion(),
        extraRoutes: [
          ...whipRoutes(plane, media),
          ...liveRoutes(live),
          ...(recordings ? replayRoutes({ plane, recordings }) : []),
          ...analyticsRoutes(plane, analytics),
          ...clipRoutes({ plane, clips, recordings }),
        ],
        configure: (app) => {
          registerOwnerProxy(app, { ownership, runsHere, timeoutMs: config.cluster.ownerTimeoutMs });
          if (recordings) registerReplayFiles(app, { recordings });
          if (recordings) registerTimeShift(app, { plane, recordings });
          registerClipFiles(app, { clips });
        },
        ...(opts.webDist !== undefined ? { webDist: opts.webDist } : {}),
        ...(opts.checkResponses ? { checkResponses: true } : {}),
        clipPreview: clipPreviewSource({ plane, clips }),
        liveFastPath: { origin: live, runsHere },
      });
      return new RostraNode({
        ownership,
        config,
        store,
        bus,
        plane,
        media,
        recordings,
        clips,
        http,
        analytics,
        ownsStore: !opts.store,
        ownsBus: !opts.bus,
      });
    } catch (err) {
      if (!opts.bus) await bus?.close();
      if (!opts.store) await store.close();
      throw err;
    }
  }

  async listen(): Promise<string> {
    const address = await this.http.listen(this.config.port, this.config.host);
    if (this.config.internalUrl === undefined)
      this.ownership.setInternalUrl(`http://127.0.0.1:${this.http.port}`);
    log.info(
      { address, publicUrl: this.config.publicUrl, store: this.store.kind, bus: this.bus.kind },
      'Rostra is listening',
    );
    // Only a node that serves people reports who is connected, and only then may it end spaces.
    this.stagePresence.start();
    this.lifecycle.start();
    this.analytics.start();
    return address;
  }

  /** Idempotent: a second call waits for the first. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.lifecycle.close();
      await this.analytics.close();
      await this.stagePresence.close();
      await this.http.close();
      await this.media.close();
      await this.recordings?.close();
      await this.clips.close();
      await this.plane.close();
      if (this.#ownsBus) await this.bus.close();
      if (this.#ownsStore) await this.store.close();
    })();
    return this.#closing;
  }
}
