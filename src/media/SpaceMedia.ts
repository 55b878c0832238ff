/**
 * The media of one live space on its origin node: the speakers' WebRTC stage, the mixer that gives each
 * speaker everyone else and the broadcast everyone, and the LL-HLS packager listeners read from.
 * `close()` is idempotent and tears all of it down, in that order.
 */
import type { Metrics } from '../metrics/Metrics.js';
import { StageMixEngine } from '../audio/index.js';
import {
  AacRendition,
  PartPackager,
  timelineStart,
  type ReloadDecision,
  type TimelineStart,
} from '../broadcast/index.js';
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
  /** The AAC-LC rendition's bitrate, or undefined for none (`--aac off`). */
  aacBitrate?: number;
  /**
   * The space's timeline: epoch ms of its start, and whether no media ran before (MSN 0). A node that
   * restarts or takes the space over continues the numbering (PartPackager `timelineStart`).
   */
  timeline?: { originMs: number; fresh: boolean };
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
  /** The AAC-LC rendition (iPhones' native HLS), on the same part grid; absent with `--aac off`. */
  readonly aac: AacRendition | undefined;
  readonly startedAtMs = Date.now();
  /** Where this media starts on the space's timeline (every rendition's packager uses the same). */
  readonly timeline: TimelineStart | undefined;
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
    this.timeline = opts.timeline
      ? timelineStart({
          ...opts.timeline,
          nowMs: this.startedAtMs,
          partTargetS: opts.partTargetS,
          segmentTargetS: opts.segmentTargetS,
        })
      : undefined;
    this.packager = new PartPackager({
      preSkip: this.engine.preSkip,
      startedAtMs: this.startedAtMs,
      partTargetS: opts.partTargetS,
      segmentTargetS: opts.segmentTargetS,
      ...(this.timeline ? { timeline: this.timeline } : {}),
    });
    this.aac =
      opts.aacBitrate !== undefined
        ? new AacRendition({
            bitrate: opts.aacBitrate,
            startedAtMs: this.startedAtMs,
            partTargetS: opts.partTargetS,
            segmentTargetS: opts.segmentTargetS,
            ...(this.timeline ? { timeline: this.timeline } : {}),
          })
        : undefined;
    this.aac?.attach(this.engine);
    const timeZeroMs = this.timeline?.originMs ?? this.startedAtMs;
    this.#metrics = opts.metrics;
    const partTargetMs = opts.partTargetS * 1000;
    this.packager.on('part', (part) => {
      const publishedMs = timeZeroMs + ((part.baseDecodeTime + part.durationSamples) / 48_000) * 1000;
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
   * (`respond` or `bad-request`), or `timeout` if the part did not come in time. `packager` is the Opus
   * rendition's unless given.
   */
  async awaitReload(
    directives: {
      msn?: number;
      part?: number;
    },
    packager: PartPackager = this.packager, // or the AAC rendition's
    /** The client went away: let go now (the guard), answering `timeout` to nobody. */
    signal?: AbortSignal,
  ): Promise<ReloadDecision | { kind: 'timeout' }> {
    const first = packager.decideReload(directives);
    if (first.kind !== 'wait' || signal?.aborted) return first.kind === 'wait' ? { kind: 'timeout' } : first;
    const heldSince = performance.now();
    this.#metrics?.heldRequests.inc();
    return new Promise((resolve) => {
      const done = (d: ReloadDecision | { kind: 'timeout' }) => {
        this.#metrics?.heldRequests.dec();
        this.#metrics?.heldSeconds.observe({ outcome: d.kind }, (performance.now() - heldSince) / 1000);
        clearTimeout(timer);
        packager.off('part', onPart);
        packager.off('end', onEnd);
        signal?.removeEventListener('abort', onAbort);
        resolve(d);
      };
      const onAbort = () => done({ kind: 'timeout' });
      const onPart = () => {
        const d = packager.decideReload(directives);
        if (d.kind !== 'wait') done(d);
      };
      const onEnd = () => done({ kind: 'respond' });
      const timer = setTimeout(() => done({ kind: 'timeout' }), first.timeoutMs);
      packager.on('part', onPart);
      packager.on('end', onEnd);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Idempotent: stops the stage, the mixer and the packager (the playlist ends). */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.engine.close();
      await this.stage.close();
      this.packager.end();
      await this.aac?.end(); // its last frames come out of the encoder's worker
      this.emit('closed');
      this.removeAllListeners();
      log.info({ spaceId: this.spaceId }, 'space media closed');
    })();
    return this.#closing;
  }
}
