/**
 * The mixer of one live space. Every 20 ms tick it pulls one frame from each source, sums them in Int32
 * (never wraps), and emits the soft-limited total (for the broadcast) and, per source, the mix-minus
 * (total − self: what that speaker hears, as in Janus AudioBridge), plus each source's level.
 *
 * The clock is owned here but optional: `tick()` steps it by hand (tests), `start()` runs it on the wall
 * clock. The output never has gaps: with nobody speaking, ticks still emit silent frames.
 */
import { performance } from 'node:perf_hooks';
import type { OpusPacket } from '../stage/StageAudio.js';
import { logger } from '../log/Logger.js';
import { TypedEmitter } from '../util/TypedEmitter.js';
import type { PushResult } from './JitterBuffer.js';
import { FRAME_MS, FRAME_SAMPLES } from './OpusCodec.js';
import { SoftLimiter } from './SoftLimiter.js';
import { SpeakerSource, type FrameSource, type SpeakerSourceOptions } from './SpeakerSource.js';

const log = logger('audio.mixer');

export interface MixerOptions {
  /** Per-speaker decoding and jitter options. */
  source?: SpeakerSourceOptions;
  /** Knee of the soft limiter applied to the total and every mix-minus. */
  limiterThreshold?: number;
  /** On the wall clock, at most this many late ticks are caught up at once; more are skipped. Default 5. */
  maxCatchUpTicks?: number;
}

/** One tick's output. The arrays are fresh each tick; treat them as read-only. */
export interface MixFrame {
  /** Tick number since the mixer was created (0, 1, 2, ...). */
  readonly index: number;
  /** 48 kHz sample clock of this frame's first sample (`index * 960`): contiguous, except across a `skipped` stall. */
  readonly sampleTime: number;
  /** Everyone, limited. */
  readonly total: Int16Array;
  /** Per source: everyone but that source, limited. Silent sources share `total` itself. */
  readonly minus: ReadonlyMap<string, Int16Array>;
  /** Per source: RMS level of its own frame in dBFS (−127 when silent). */
  readonly levels: ReadonlyMap<string, number>;
}

export type MixerEvents = {
  /** Every tick, in order; gaps only after a `skipped`. */
  frame: (frame: MixFrame) => void;
  /**
   * The event loop stalled longer than the catch-up allows: `frames` ticks from `sampleTime` on were not
   * mixed. The sample clock skips them too, so it stays on wall time; the owner fills the broadcast.
   */
  skipped: (frames: number, sampleTime: number) => void;
};

/** Floor for levels: the RFC 6464 silence value, so both kinds of level share a scale. */
export const SILENCE_DB = -127;

export class Mixer extends TypedEmitter<MixerEvents> {
  readonly #sources = new Map<string, FrameSource>();
  readonly #leaving = new Set<FrameSource>();
  readonly #limiter: SoftLimiter;
  readonly #sourceOpts: SpeakerSourceOptions;
  readonly #maxCatchUp: number;
  #index = 0;
  #timer: NodeJS.Timeout | undefined;
  #clockOrigin = 0;
  #clockTicks = 0;
  #closed = false;

  constructor(opts: MixerOptions = {}) {
    super();
    this.#limiter = new SoftLimiter({ threshold: opts.limiterThreshold });
    this.#sourceOpts = opts.source ?? {};
    this.#maxCatchUp = opts.maxCatchUpTicks ?? 5;
  }

  /** Sample clock of the next frame. */
  get sampleTime(): number {
    return this.#index * FRAME_SAMPLES;
  }

  get closed(): boolean {
    return this.#closed;
  }

  sourceIds(): string[] {
    return [...this.#sources.keys()];
  }

  getSource(id: string): FrameSource | undefined {
    return this.#sources.get(id);
  }

  /** Adds a source; by default a SpeakerSource fed with `push()`. A duplicate id is a caller bug. */
  addSource(id: string, source: FrameSource = new SpeakerSource(id, this.#sourceOpts)): FrameSource {
    if (this.#sources.has(id)) throw new TypeError(`mixer source ${id} already exists`);
    this.#sources.set(id, source);
    return source;
  }

  /** Removes a source: it gets no mix-minus from now on, and its sound fades out over the next tick. */
  removeSource(id: string): void {
    const source = this.#sources.get(id);
    if (!source) return;
    this.#sources.delete(id);
    if (source.end) {
      source.end();
      this.#leaving.add(source);
    }
  }

  /** Feeds a packet to a SpeakerSource; undefined when the id is unknown or not packet-fed. */
  push(id: string, packet: OpusPacket): PushResult | 'ended' | undefined {
    const source = this.#sources.get(id);
    return source instanceof SpeakerSource ? source.push(packet) : undefined;
  }

  /** Mixes one 20 ms frame and emits it. */
  tick(): MixFrame {
    if (this.#closed) throw new TypeError('mixer is closed');
    const sum = new Int32Array(FRAME_SAMPLES);
    const own = new Map<string, Int16Array | null>();
    const levels = new Map<string, number>();
    for (const [id, source] of this.#sources) {
      const frame = this.#pull(source, id);
      own.set(id, frame);
      levels.set(id, frame ? rmsDbfs(frame) : SILENCE_DB);
      if (frame) addInto(sum, frame);
    }
    for (const source of this.#leaving) {
      const frame = this.#pull(source, 'leaving');
      if (frame) addInto(sum, frame);
      if (!frame || source.finished) this.#leaving.delete(source);
    }
    const total = new Int16Array(FRAME_SAMPLES);
    this.#limiter.process(sum, total);
    const minus = new Map<string, Int16Array>();
    const scratch = new Int32Array(FRAME_SAMPLES);
    for (const [id, frame] of own) {
      if (!frame) {
        minus.set(id, total);
        continue;
      }
      for (let i = 0; i < FRAME_SAMPLES; i++) scratch[i] = (sum[i] as number) - (frame[i] as number);
      const out = new Int16Array(FRAME_SAMPLES);
      this.#limiter.process(scratch, out);
      minus.set(id, out);
    }
    const mix: MixFrame = {
      index: this.#index,
      sampleTime: this.#index * FRAME_SAMPLES,
      total,
      minus,
      levels,
    };
    this.#index++;
    this.emit('frame', mix);
    return mix;
  }

  /** Runs `tick()` every 20 ms on the wall clock, catching up briefly after event-loop stalls. */
  start(): void {
    if (this.#closed) throw new TypeError('mixer is closed');
    if (this.#timer) return;
    this.#clockOrigin = performance.now();
    this.#clockTicks = 0;
    this.#schedule();
  }

  stop(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Idempotent: stops the clock, drops every source and listener. */
  close(): void {
    if (this.#closed) return;
    this.stop();
    this.#closed = true;
    this.#sources.clear();
    this.#leaving.clear();
    this.removeAllListeners();
  }

  #schedule(): void {
    const due = this.#clockOrigin + (this.#clockTicks + 1) * FRAME_MS;
    this.#timer = setTimeout(() => this.#onTimer(), Math.max(0, due - performance.now()));
  }

  #onTimer(): void {
    this.#timer = undefined;
    if (this.#closed) return;
    let behind = Math.floor((performance.now() - this.#clockOrigin) / FRAME_MS) - this.#clockTicks;
    if (behind > this.#maxCatchUp) {
      // The event loop stalled: skip the missed ticks rather than burst out a backlog of mixes. The sample
      // clock skips with them: were it to stay contiguous, the broadcast would fall behind wall time for
      // good, and every listener would hear each stall as permanent extra delay.
      const skipped = behind - 1;
      log.warn({ skippedTicks: skipped }, 'mixer clock stalled; skipping ahead');
      const from = this.sampleTime;
      this.#clockTicks += skipped;
      this.#index += skipped;
      this.emit('skipped', skipped, from);
      behind = 1;
    }
    for (let i = 0; i < Math.max(1, behind); i++) {
      this.#clockTicks++;
      this.tick();
      if (this.#closed) return;
    }
    this.#schedule();
  }

  #pull(source: FrameSource, id: string): Int16Array | null {
    try {
      const frame = source.pull();
      if (frame && frame.length !== FRAME_SAMPLES) throw new TypeError(`frame of ${frame.length} samples`);
      return frame;
    } catch (err) {
      log.error({ err, source: id }, 'source failed to produce a frame; muting it for this tick');
      return null;
    }
  }
}

function addInto(sum: Int32Array, frame: Int16Array): void {
  for (let i = 0; i < FRAME_SAMPLES; i++) sum[i] = (sum[i] as number) + (frame[i] as number);
}

/** RMS of a frame in dBFS (0 = full-scale square wave), floored at SILENCE_DB. */
export function rmsDbfs(frame: Int16Array): number {
  let acc = 0;
  for (let i = 0; i < frame.length; i++) {
    const s = frame[i] as number;
    acc += s * s;
  }
  if (acc === 0) return SILENCE_DB;
  const db = 10 * Math.log10(acc / frame.length / (32768 * 32768));
  return Math.max(SILENCE_DB, db);
}
