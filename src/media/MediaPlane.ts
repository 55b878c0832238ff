/**
 * The media of every live space this node originates. A space's media starts when its first speaker
 * publishes or its first listener asks for the playlist, follows the control plane's events (mutes, mics
 * taken, removals, the end), and ends with the space. An ended playlist stays readable for a grace period,
 * so players can fetch its last parts.
 */
import type { Metrics } from '../metrics/Metrics.js';
import type { StageMemberView } from '../contract/rest.js';
import { channels, type BusEnvelope } from '../domain/spaceEvents.js';
import type { Unsubscribe } from '../bus/Bus.js';
import type { ControlPlane } from '../control/ControlPlane.js';
import type { Space } from '../domain/types.js';
import { RostraError } from '../errors/index.js';
import { logger } from '../log/Logger.js';
import type { MediaOwnership } from './MediaOwnership.js';
import { SpaceMedia } from './SpaceMedia.js';
import { stageEngines, type StageEngines } from './StageEngines.js';

const log = logger('media.plane');
/** How long an ended space's playlist and parts stay available to players catching up. */
const ENDED_GRACE_MS = 60_000;

export interface MediaHooks {
  /** A space's media was created (e.g. start recording). */
  created?: (space: Space, media: SpaceMedia) => Promise<void> | void;
  /** A space's media ended: its packager has ended and emitted its last segment. */
  ended?: (space: Space, media: SpaceMedia) => Promise<void> | void;
  /** The node is shutting down while the space is still live (it resumes after the restart). */
  stopped?: (space: Space, media: SpaceMedia) => Promise<void> | void;
}

interface Entry {
  space: Space;
  media: SpaceMedia;
  unsubscribe: Promise<Unsubscribe>;
  disposeTimer?: NodeJS.Timeout;
  /** A backstage's media is going live (once). */
  goingLive?: Promise<void>;
}

/** A backstage's listeners wait: their player retries after go-live (the page hears it on the socket). */
const notLive = () =>
  new RostraError('space_not_live', 'The space is backstage: it has not gone live yet.', { retryAfter: 5 });

export class MediaPlane {
  readonly #plane: ControlPlane;
  readonly #hooks: MediaHooks;
  readonly #metrics: Metrics | undefined;
  /** In a cluster, media is created only by the holder of the space's lease (one owner per space). */
  readonly #ownership: MediaOwnership | undefined;
  readonly #entries = new Map<string, Entry>();
  readonly #creating = new Map<string, Promise<SpaceMedia>>();
  /** Where the spaces' stages and mixers run (`--stage-engine`: inline, or the node's stage worker). */
  readonly #stageEngines: StageEngines;
  #closed = false;

  constructor(plane: ControlPlane, hooks: MediaHooks = {}, metrics?: Metrics, ownership?: MediaOwnership) {
    this.#plane = plane;
    this.#hooks = hooks;
    this.#metrics = metrics;
    this.#ownership = ownership;
    this.#stageEngines = stageEngines(plane.ctx.config.media.stageEngine);
  }

  /** Where this node's stage engines run (`--stage-engine`). */
  get stageEngines(): StageEngines {
    return this.#stageEngines;
  }

  /** The media of a space, live or in its grace period. */
  get(spaceId: string): SpaceMedia | undefined {
    return this.#entries.get(spaceId)?.media;
  }

  /** Spaces with media on this node (for metrics and leak checks). */
  get size(): number {
    return this.#entries.size;
  }

  /** Ids of the spaces whose media is live on this node (not ended, not in their grace period). */
  liveSpaceIds(): string[] {
    return [...this.#entries].filter(([, e]) => !e.media.closed).map(([id]) => id);
  }

  /**
   * The media of a live space, created on first use. `stage`: for a publisher, to whom a backstage's media
   * (stage and mix-minus, no broadcast) is open too; a listener gets `space_not_live` until go-live.
   */
  async ensure(space: Space, opts: { stage?: boolean } = {}): Promise<SpaceMedia> {
    if (this.#closed)
      throw new RostraError('space_unavailable', 'This node is shutting down.', { retryAfter: 5 });
    const existing = this.#entries.get(space.id);
    if (existing && !existing.media.closed) {
      if (!existing.media.onAir && opts.stage !== true) throw notLive();
      return existing.media;
    }
    if (space.state === 'backstage' && opts.stage !== true && !existing) throw notLive();
    if (space.state !== 'live' && space.state !== 'backstage')
      throw new RostraError(space.state === 'scheduled' ? 'invalid_state' : 'space_ended');
    if (existing) throw new RostraError('space_ended');
    let pending = this.#creating.get(space.id);
    if (!pending) {
      pending = this.#create(space).finally(() => this.#creating.delete(space.id));
      this.#creating.set(space.id, pending);
    }
    return pending;
  }

  async #create(space: Space): Promise<SpaceMedia> {
    if (this.#ownership && !(await this.#ownership.acquire(space.id))) {
      throw new RostraError('not_owner', 'Another node runs this space’s media.', { retryAfter: 1 });
    }
    const { config, store } = this.#plane.ctx;
    // The space's timeline: a node that restarts or takes the space over continues its media sequence
    // numbers. Only the first media of a space starts at MSN 0 (the Store counts the starts).
    const originMs = space.startedAt !== null ? Date.parse(space.startedAt) : Date.now();
    // A backstage's media starts off the air, and counts as a media session only when it goes live.
    const backstage = space.state === 'backstage';
    const fresh = !backstage && (await store.spaces.nextMediaSession(space.id)) === 1;
    const engine = await this.#stageEngines.open({
      spaceId: space.id,
      announcedIps: config.announcedIps,
      maxSpeakers: 1 + config.limits.maxCohosts + config.limits.maxSpeakers,
      bitrate: config.media.bitrate,
    });
    const media = new SpaceMedia({
      engine,
      ...(backstage ? { onAir: false } : { timeline: { originMs, fresh } }),
      spaceId: space.id,
      announcedIps: config.announcedIps,
      partTargetS: config.media.partTargetMs / 1000,
      segmentTargetS: config.media.segmentTargetS,
      bitrate: config.media.bitrate,
      ...(config.media.aac ? { aacBitrate: config.media.aacBitrate } : {}),
      maxSpeakers: 1 + config.limits.maxCohosts + config.limits.maxSpeakers,
      ...(this.#metrics ? { metrics: this.#metrics } : {}),
    });
    media.on('failed', (err) => {
      log.error({ err, spaceId: space.id }, 'the stage engine failed: dropping the space’s media here');
      this.drop(space.id).catch((e: unknown) => log.error({ err: e }, 'could not drop failed media'));
    });
    media.on('speaking', (userId, speaking) => {
      this.#plane.ctx.events
        .toSpace(space.id, { type: 'speaking', spaceId: space.id, userId, speaking })
        .catch((err: unknown) => log.warn({ err }, 'could not publish speaking'));
    });
    const entry: Entry = {
      space,
      media,
      unsubscribe: this.#plane.ctx.bus.subscribe(channels.space(space.id), (msg) =>
        this.#onEvent(entry, msg as unknown as BusEnvelope),
      ),
    };
    this.#entries.set(space.id, entry);
    await entry.unsubscribe;
    if (backstage) {
      log.info({ spaceId: space.id }, 'backstage media started');
      // It may have gone live before this node listened for it.
      const now = await store.spaces.get(space.id);
      if (now?.state === 'live') await this.#goLive(entry, now.startedAt);
      return media;
    }
    await this.#created(space, media);
    log.info({ spaceId: space.id }, 'space media started');
    return media;
  }

  async #created(space: Space, media: SpaceMedia): Promise<void> {
    try {
      await this.#hooks.created?.(space, media);
    } catch (err) {
      log.error({ err, spaceId: space.id }, 'media hook failed');
    }
  }

  /**
   * A backstage went live: the broadcast (and with it the recording, from this moment) starts on the
   * same media, so the publishers' peers stay as they are. Once per entry, whoever notices first.
   */
  #goLive(entry: Entry, startedAt: string | null): Promise<void> {
    entry.goingLive ??= (async () => {
      const { store } = this.#plane.ctx;
      const fresh = (await store.spaces.nextMediaSession(entry.space.id)) === 1;
      if (entry.media.closed) return;
      entry.media.goLive({ originMs: startedAt !== null ? Date.parse(startedAt) : Date.now(), fresh });
      entry.space = { ...entry.space, state: 'live', startedAt };
      await this.#created(entry.space, entry.media);
    })();
    return entry.goingLive;
  }

  /** Applies the stage the control plane decided to the peers this node holds. */
  syncStage(spaceId: string, stage: readonly StageMemberView[]): void {
    const media = this.get(spaceId);
    if (!media || media.closed) return;
    // Mute state is kept per user by the room, so it applies to members whose peer is still connecting.
    for (const member of stage) {
      if (member.muted) media.stage.mute(member.id);
      else media.stage.unmute(member.id);
    }
    const onStage = new Set(stage.map((m) => m.id));
    for (const speakerId of media.stage.speakers()) {
      if (!onStage.has(speakerId)) media.stage.removeSpeaker(speakerId, 'removed');
    }
  }

  #onEvent(entry: Entry, envelope: BusEnvelope): void {
    const event = envelope.event;
    if (event.type === 'stage.changed') this.syncStage(entry.space.id, event.stage);
    else if (event.type === 'space.state' && event.state === 'live' && !entry.media.onAir) {
      this.#goLive(entry, event.at).catch((err: unknown) => log.error({ err }, 'could not go live'));
    } else if (event.type === 'space.state' && (event.state === 'ended' || event.state === 'cancelled')) {
      this.end(entry.space.id).catch((err: unknown) => log.error({ err }, 'could not end space media'));
    }
  }

  /** Ends a space's media: peers closed, playlist ended; the bytes stay for the grace period. */
  async end(spaceId: string): Promise<void> {
    const entry = this.#entries.get(spaceId);
    if (!entry || entry.media.closed) return;
    await entry.media.close();
    try {
      await this.#hooks.ended?.(entry.space, entry.media);
    } catch (err) {
      log.error({ err, spaceId }, 'media end hook failed');
    }
    entry.disposeTimer = setTimeout(() => void this.#dispose(spaceId), ENDED_GRACE_MS);
    entry.disposeTimer.unref();
  }

  /**
   * This node lost the space's lease: stop its media at once, as at shutdown (the space stays live and the
   * recording resumable), so the node that takes over is the only one running it.
   */
  async drop(spaceId: string): Promise<void> {
    const entry = this.#entries.get(spaceId);
    if (!entry) return;
    if (!entry.media.closed) {
      await entry.media.close();
      try {
        await this.#hooks.stopped?.(entry.space, entry.media);
      } catch (err) {
        log.error({ err, spaceId }, 'media stop hook failed');
      }
    }
    await this.#dispose(spaceId);
  }

  async #dispose(spaceId: string): Promise<void> {
    const entry = this.#entries.get(spaceId);
    if (!entry) return;
    this.#entries.delete(spaceId);
    clearTimeout(entry.disposeTimer);
    entry.media.packager.close();
    // Held through the grace period, so other nodes keep proxying players to the ended playlist here.
    await this.#ownership?.release(spaceId);
    await (
      await entry.unsubscribe
    )();
  }

  /**
   * Idempotent: stops every space's media on this node and frees it. The spaces stay live in the Store:
   * after a restart their speakers reconnect and their recordings continue.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#creating.values()].map((p) => p.catch(() => undefined)));
    for (const spaceId of [...this.#entries.keys()]) await this.drop(spaceId);
    await this.#stageEngines.close();
    await this.#ownership?.close();
  }
}
