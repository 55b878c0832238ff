/**
 * The media of one live space on its origin node: the speakers' WebRTC stage, the mixer that gives each
 * speaker everyone else and the broadcast everyone, and the LL-HLS packager listeners read from.
 * `close()` is idempotent and tears all of it down, in that order.
 */
import type { Metrics } from '../metrics/Metrics.js';
import { AacRendition, PartPackager, timelineStart, type TimelineStart } from '../broadcast/index.js';
import { logger } from '../log/Logger.js';
import { TypedEmitter } from '../util/TypedEmitter.js';
import { ReloadWaiters, type HeldAnswer, type HeldClient } from './ReloadWaiters.js';
import type { SpaceStageEngine, StageControl } from './StageEngine.js';

const log = logger('media.space');

export interface SpaceMediaOptions {
  spaceId: string;
  announcedIps: readonly string[];
  partTargetS: number;
  segmentTargetS: number;
  bitrate: number;
  maxSpeakers: number;
  /** The stage engine (peers, mixer) opened for this space, in the node's stage worker or inline. */
  engine: SpaceStageEngine;
  /** The node's metrics: packaging lag, late parts, held requests. */
  metrics?: Metrics;
  /** The AAC-LC rendition's bitrate, or undefined for none (`--aac off`). */
  aacBitrate?: number;
  /**
   * The space's timeline: epoch ms of its start, and whether no media ran before (MSN 0). A node that
   * restarts or takes the space over continues the numbering (PartPackager `timelineStart`).
   */
  timeline?: { originMs: number; fresh: boolean };
  /**
   * False for a backstage: the stage and its mix-minus run, but no frame reaches a packager (so nothing is
   * broadcast or recorded) until `goLive()`. Default true.
   */
  onAir?: boolean;
}

/** Publish times kept for the newest parts (more than any live window holds). */
const PUBLISHED_KEPT = 512;
const partKey = (msn: number, index: number) => msn * 1000 + index;

export type SpaceMediaEvents = {
  speaking: (userId: string, speaking: boolean) => void;
  closed: () => void;
  /** The stage engine died (its worker crashed): the media must be dropped. */
  failed: (err: Error) => void;
};

export class SpaceMedia extends TypedEmitter<SpaceMediaEvents> {
  readonly spaceId: string;
  readonly stage: StageControl;
  readonly engine: SpaceStageEngine;
  readonly #opts: SpaceMediaOptions;
  // Set by #broadcast: at construction, and again when a backstage goes live.
  #packager!: PartPackager;
  #aac: AacRendition | undefined;
  #startedAtMs = Date.now();
  #timeline: TimelineStart | undefined;
  #onAir: boolean;
  readonly #metrics: Metrics | undefined;
  /** Part → when its last sample existed on the media clock (epoch ms), as the playlist's PDT says. */
  readonly #published = new Map<number, number>();
  readonly #speaking = new Set<string>();
  /** The requests held on each packager (Opus, AAC; a backstage's is replaced at go-live). */
  readonly #waiters = new WeakMap<PartPackager, ReloadWaiters>();
  #closing: Promise<void> | undefined;

  constructor(opts: SpaceMediaOptions) {
    super();
    this.spaceId = opts.spaceId;
    this.engine = opts.engine;
    this.stage = this.engine.stage;
    this.#opts = opts;
    this.#metrics = opts.metrics;
    this.#onAir = opts.onAir ?? true;
    this.#broadcast(this.#onAir ? opts.timeline : undefined, this.#onAir);
    this.engine.on('frame', (frame) => {
      if (this.#onAir) this.#packager.push(frame);
    });
    this.engine.on('aac', (frame) => this.#aac?.push(frame));
    this.engine.on('aacFailed', (err) => this.#aac?.fail(err));
    this.engine.on('speaking', (userId, speaking) => {
      if (speaking) this.#speaking.add(userId);
      else this.#speaking.delete(userId);
      this.emit('speaking', userId, speaking);
    });
    this.engine.on('speakerLeft', (userId) => this.#speaking.delete(userId));
    this.engine.on('failed', (err) => this.emit('failed', err));
  }

  /** The Opus rendition's packager (in a backstage, one that has no parts yet). */
  get packager(): PartPackager {
    return this.#packager;
  }

  /** The AAC-LC rendition (iPhones' native HLS), on the same part grid; absent with `--aac off` or backstage. */
  get aac(): AacRendition | undefined {
    return this.#aac;
  }

  /** When the broadcast started (epoch ms): construction, or go-live for a backstage. */
  get startedAtMs(): number {
    return this.#startedAtMs;
  }

  /** Where this media starts on the space's timeline (every rendition's packager uses the same). */
  get timeline(): TimelineStart | undefined {
    return this.#timeline;
  }

  /** False while a backstage: the stage runs, nothing is broadcast. */
  get onAir(): boolean {
    return this.#onAir;
  }

  /**
   * A backstage goes live: the broadcast starts now, on the space's timeline, with the same stage and
   * peers (nobody reconnects). Idempotent; the packager the backstage had (no parts) is replaced.
   */
  goLive(timeline?: { originMs: number; fresh: boolean }): void {
    if (this.#onAir || this.closed) return;
    this.#packager.close();
    this.#broadcast(timeline, true);
    this.#onAir = true;
    log.info({ spaceId: this.spaceId }, 'backstage went live');
  }

  #broadcast(timeline: { originMs: number; fresh: boolean } | undefined, onAir: boolean): void {
    const opts = this.#opts;
    this.#startedAtMs = Date.now();
    this.#timeline = timeline
      ? timelineStart({
          ...timeline,
          nowMs: this.#startedAtMs,
          partTargetS: opts.partTargetS,
          segmentTargetS: opts.segmentTargetS,
        })
      : undefined;
    this.#packager = new PartPackager({
      preSkip: this.engine.preSkip,
      startedAtMs: this.#startedAtMs,
      partTargetS: opts.partTargetS,
      segmentTargetS: opts.segmentTargetS,
      ...(this.#timeline ? { timeline: this.#timeline } : {}),
    });
    // A backstage has no AAC encoder yet: it would only encode what nobody may hear. The engine encodes
    // (beside its mixer); the AAC packager puts each frame where the Opus one put that sample.
    this.#aac =
      opts.aacBitrate !== undefined && onAir
        ? new AacRendition({
            bitrate: opts.aacBitrate,
            startedAtMs: this.#startedAtMs,
            partTargetS: opts.partTargetS,
            segmentTargetS: opts.segmentTargetS,
            ...(this.#timeline ? { timeline: this.#timeline } : {}),
            alignTo: this.#packager,
          })
        : undefined;
    if (this.#aac) this.engine.startAac(this.#aac.bitrate);
    const timeZeroMs = this.#timeline?.originMs ?? this.#startedAtMs;
    const partTargetMs = opts.partTargetS * 1000;
    this.#published.clear();
    this.#packager.on('part', (part) => {
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
   * (`respond` or `bad-request`), or `timeout` if the part did not come in time or the client went away
   * (the guard's held slot). `packager` is the Opus rendition's unless given. The holds on a packager
   * share one list (ReloadWaiters): a crowd woken by one part costs one walk.
   */
  awaitReload(
    directives: {
      msn?: number;
      part?: number;
    },
    packager: PartPackager = this.#packager, // or the AAC rendition's
    client?: HeldClient,
  ): Promise<HeldAnswer> {
    const first = packager.decideReload(directives);
    // No async function: a held request costs the list's promise only.
    if (first.kind !== 'wait' || client?.gone)
      return Promise.resolve(first.kind === 'wait' ? { kind: 'timeout' } : first);
    let waiters = this.#waiters.get(packager);
    if (!waiters) {
      waiters = new ReloadWaiters(packager, this.#metrics);
      this.#waiters.set(packager, waiters);
    }
    return waiters.wait(directives, first.timeoutMs, client);
  }

  /** Idempotent: stops the stage, the mixer and the packager (the playlist ends). */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.engine.close(); // the AAC encoder's last frames come before it settles
      this.#packager.end();
      this.#aac?.end();
      this.emit('closed');
      this.removeAllListeners();
      log.info({ spaceId: this.spaceId }, 'space media closed');
    })();
    return this.#closing;
  }
}
