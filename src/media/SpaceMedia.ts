/**
 * The media of one live space on its origin node: the speakers' WebRTC stage, the mixer that gives each
 * speaker everyone else and the broadcast everyone, and the LL-HLS packager listeners read from.
 * `close()` is idempotent and tears all of it down, in that order.
 */
import type { Metrics } from '../api/Metrics.js';
import { StageMixEngine } from '../audio/index.js';
import { PartPackager, type ReloadDecision } from '../broadcast/index.js';
import { logger } from '../log/Logger.js';
import { StageRoom } from '../stage/index.js';
import { TypedEmitter } from '../util/TypedEmitter.js';

const log = logger('media.space');

export interface SpaceMediaOptions {
  spaceId: string;
  announcedIps: readonly string[];
  partTargetS: number;
  segmentTargetS: number;
  bitrate: number;
  maxSpeakers: number;
  /** The node's metrics: packaging lag, late parts, held requests. */
  metrics?: Metrics;
}

/** Publish times kept for the newest parts (more than any live window holds). */
const PUBLISHED_KEPT = 512;
const partKey = (msn: number, index: number) => msn * 1000 + index;

export type SpaceMediaEvents = {
  speaking: (userId: string, speaking: boolean) => void;
  closed: () => void;
};

export class SpaceMedia extends TypedEmitter<SpaceMediaEvents> {
  readonly spaceId: string;
  readonly stage: StageRoom;
  readonly engine: StageMixEngine;
  readonly packager: PartPackager;
  readonly startedAtMs = Date.now();
  readonly #metrics: Metrics | undefined;
  /** Part → when its last sample existed on the media clock (epoch ms), as the playlist's PDT says. */
  readonly #published = new Map<number, number>();
  readonly #speaking = new Set<string>();
  #closing: Promise<void> | undefined;

  constructor(opts: SpaceMediaOptions) {
    super();
    this.spaceId = opts.spaceId;
    this.stage = new StageRoom(opts.spaceId, {
      announcedIps: opts.announcedIps,
      maxSpeakers: opts.maxSpeakers,
    });
    this.engine = new StageMixEngine({
      source: this.stage,
      sink: this.stage,
      broadcastEncoder: { bitrate: opts.bitrate },
    });
    this.packager = new PartPackager({
      preSkip: this.engine.preSkip,
      startedAtMs: this.startedAtMs,
      partTargetS: opts.partTargetS,
      segmentTargetS: opts.segmentTargetS,
    });
    this.#metrics = opts.metrics;
    const partTargetMs = opts.partTargetS * 1000;
    this.packager.on('part', (part) => {
      const publishedMs = this.startedAtMs + ((part.baseDecodeTime + part.durationSamples) / 48_000) * 1000;
      this.#published.set(partKey(part.msn, part.partIndex), publishedMs);
      if (this.#published.size > PUBLISHED_KEPT) {
        const oldest = this.#published.keys().next();
        if (!oldest.done) this.#published.delete(oldest.value);
      }
      const lagMs = Date.now() - publishedMs;
      this.#metrics?.packagingLag.observe(Math.max(0, lagMs) / 1000);
      if (lagMs > partTargetMs) this.#metrics?.lateParts.inc();
    });
    this.engine.on('frame', (frame) => this.packager.push(frame));
    this.engine.on('speaking', (userId, speaking) => {
      if (speaking) this.#speaking.add(userId);
      else this.#speaking.delete(userId);
      this.emit('speaking', userId, speaking);
    });
    this.stage.on('speakerLeft', (userId) => this.#speaking.delete(userId));
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** Who is speaking now, as the last `speaking` events said. */
  speakingNow(): string[] {
    return [...this.#speaking];
  }

  /** When a part was published (its last sample's media time, epoch ms), while it is recent. */
  publishedAt(msn: number, index: number): number | undefined {
    return this.#published.get(partKey(msn, index));
  }

  /**
   * Waits until the playlist can answer a blocking reload for `directives`: resolves with the decision
   * (`respond` or `bad-request`), or `timeout` if the part did not come in time.
   */
  async awaitReload(directives: {
    msn?: number;
    part?: number;
  }): Promise<ReloadDecision | { kind: 'timeout' }> {
    const first = this.packager.decideReload(directives);
    if (first.kind !== 'wait') return first;
    const heldSince = performance.now();
    this.#metrics?.heldRequests.inc();
    return new Promise((resolve) => {
      const done = (d: ReloadDecision | { kind: 'timeout' }) => {
        this.#metrics?.heldRequests.dec();
        this.#metrics?.heldSeconds.observe({ outcome: d.kind }, (performance.now() - heldSince) / 1000);
        clearTimeout(timer);
        this.packager.off('part', onPart);
        this.packager.off('end', onEnd);
        resolve(d);
      };
      const onPart = () => {
        const d = this.packager.decideReload(directives);
        if (d.kind !== 'wait') done(d);
      };
      const onEnd = () => done({ kind: 'respond' });
      const timer = setTimeout(() => done({ kind: 'timeout' }), first.timeoutMs);
      this.packager.on('part', onPart);
      this.packager.on('end', onEnd);
    });
  }

  /** Idempotent: stops the stage, the mixer and the packager (the playlist ends). */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.engine.close();
      await this.stage.close();
      this.packager.end();
      this.emit('closed');
      this.removeAllListeners();
      log.info({ spaceId: this.spaceId }, 'space media closed');
    })();
    return this.#closing;
  }
}
