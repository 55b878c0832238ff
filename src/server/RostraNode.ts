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
import { Metrics } from '../api/Metrics.js';
import { logger, setLogLevel } from '../log/Logger.js';
import { openStore, type Store } from '../store/index.js';
import { liveRoutes } from '../api/routes/live.js';
import { MediaPlane } from '../media/MediaPlane.js';
import { whipRoutes } from '../api/routes/whip.js';
import { registerReplayFiles, replayRoutes } from '../api/routes/replay.js';
import { Recordings } from '../recording/index.js';

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
  readonly http: HttpServer;
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
    http: HttpServer;
    ownsStore: boolean;
    ownsBus: boolean;
  }) {
    this.config = parts.config;
    this.store = parts.store;
    this.bus = parts.bus;
    this.plane = parts.plane;
    this.media = parts.media;
    this.recordings = parts.recordings;
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
      const metrics = new Metrics();
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
      );
      metrics.countListenersWith(() =>
        Promise.all(
          media
            .liveSpaceIds()
            .map(async (id): Promise<[string, number]> => [id, await plane.audience.count(id)]),
        ),
      );
      await recordings?.start();
      const http = await HttpServer.create({
        plane,
        metrics,
        speakingNow: (spaceId) => media.get(spaceId)?.speakingNow() ?? [],
        version: packageVersion(),
        extraRoutes: [
          ...whipRoutes(plane, media),
          ...liveRoutes(plane, media, metrics),
          ...(recordings ? replayRoutes({ plane, recordings }) : []),
        ],
        ...(recordings ? { configure: (app) => registerReplayFiles(app, { recordings }) } : {}),
        ...(opts.webDist !== undefined ? { webDist: opts.webDist } : {}),
      });
      return new RostraNode({
        config,
        store,
        bus,
        plane,
        media,
        recordings,
        http,
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
    log.info(
      { address, publicUrl: this.config.publicUrl, store: this.store.kind, bus: this.bus.kind },
      'Rostra is listening',
    );
    return address;
  }

  /** Idempotent: a second call waits for the first. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.http.close();
      await this.media.close();
      await this.recordings?.close();
      await this.plane.close();
      if (this.#ownsBus) await this.bus.close();
      if (this.#ownsStore) await this.store.close();
    })();
    return this.#closing;
  }
}
