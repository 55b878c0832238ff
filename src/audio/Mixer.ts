/**
 * The mixer of one live space. Every 20 ms tick it pulls one frame from each source, sums them in Int32
 * (never wraps), and emits the soft-limited total (for the broadcast) and, per source, the mix-minus
 * (total − self: what that speaker hears, as in Janus AudioBridge), plus each source's level.
 *
 * Mix-minus is exact by construction: each tick subtracts exactly the samples that the same tick added for
 * that speaker (their current source and any earlier session of theirs still fading out), so a speaker's
 * own frames never reach their return feed, however late the tick runs or whatever it skipped.
 *
 * The clock is owned here but optional: `tick()` steps it by hand (tests), `start()` runs it on a clock
 * (the wall clock, or one injected for tests). On the clock the output has no gaps, except across a
 * `skipped` stall. Each tick reuses the same buffers: a 20 ms tick allocates no typed array and no Map.
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

/** Time and timers for the mixer's clock. The default is `performance.now()` and `setTimeout`. */
export interface MixerClock {
  /** Monotonic milliseconds. */
  now(): number;
  /** Calls `fn` once after about `delayMs`; returns a function that cancels it. */
  schedule(fn: () => void, delayMs: number): () => void;
}

export const WALL_CLOCK: MixerClock = {
  now: () => performance.now(),
  schedule(fn, delayMs) {
    const timer = setTimeout(fn, delayMs);
    return () => clearTimeout(timer);
  },
};

export interface MixerOptions {
  /** Per-speaker decoding and jitter options. */
  source?: SpeakerSourceOptions;
  /** Knee of the soft limiter applied to the total and every mix-minus. */
  limiterThreshold?: number;
  /** On the clock, at most this many late ticks are caught up at once; more are skipped. Default 5. */
  maxCatchUpTicks?: number;
  /** The clock `start()` runs on. Default WALL_CLOCK. */
  clock?: MixerClock;
}

/**
 * One tick's output. Its arrays and maps are the mixer's own and are overwritten by the next tick: read
 * them during the `frame` event (or before the next `tick()`), and copy what must outlive it.
 */
export interface MixFrame {
  /** Tick number since the mixer was created (0, 1, 2, ...). */
  readonly index: number;
  /** 48 kHz sample clock of this frame's first sample (`index * 960`): contiguous, except across a `skipped` stall. */
  readonly sampleTime: number;
  /** Everyone, limited. */
  readonly total: Int16Array;
  /**
   * Per source: everyone but that source, limited. A source that added nothing this tick gets `total`
   * itself (the same array), so a consumer can tell it apart and encode the total once for all of them.
   */
  readonly minus: ReadonlyMap<string, Int16Array>;
  /** Per source: RMS level of its own frame in dBFS (−127 when silent). */
  readonly levels: ReadonlyMap<string, number>;
}

export type MixerEvents = {
  /** Every tick, in order; gaps only after a `skipped`. */
  frame: (frame: MixFrame) => void;
  /**
   * The clock stalled longer than the catch-up allows: `frames` ticks from `sampleTime` on were not
   * mixed. The sample clock skips them too, so it stays on wall time; the owner fills the broadcast.
   */
  skipped: (frames: number, sampleTime: number) => void;
};

/** Floor for levels: the RFC 6464 silence value, so both kinds of level share a scale. */
export const SILENCE_DB = -127;

/** A source in the mix, with the buffer its mix-minus is written into. */
interface Entry {
  readonly id: string;
  readonly source: FrameSource;
  readonly minusBuffer: Int16Array;
  /** This tick's frame from `source`. */
  frame: Int16Array | null;
  /** This tick's frames from earlier sessions of the same id that are still fading out. */
  readonly fading: Int16Array[];
}

export class Mixer extends TypedEmitter<MixerEvents> {
  readonly #entries = new Map<string, Entry>();
  /** The same entries as an array, for the per-tick loops (no iterator per loop). */
  #list: Entry[] = [];
  /** Removed sources fading out, with the id they had: a new session of that id must not hear them. */
  readonly #leaving = new Map<FrameSource, string>();
  readonly #limiter: SoftLimiter;
  readonly #sourceOpts: SpeakerSourceOptions;
  readonly #maxCatchUp: number;
  readonly #clock: MixerClock;
  readonly #sum = new Int32Array(FRAME_SAMPLES);
  readonly #scratch = new Int32Array(FRAME_SAMPLES);
  readonly #total = new Int16Array(FRAME_SAMPLES);
  readonly #minus = new Map<string, Int16Array>();
  readonly #levels = new Map<string, number>();
  readonly #frame: {
    index: number;
    sampleTime: number;
    total: Int16Array;
    minus: ReadonlyMap<string, Int16Array>;
    levels: ReadonlyMap<string, number>;
  };
  #index = 0;
  #cancelTimer: (() => void) | undefined;
  readonly #onTimerBound = () => this.#onTimer();
  #clockOrigin = 0;
  #clockTicks = 0;
  #closed = false;

  constructor(opts: MixerOptions = {}) {
    super();
    this.#limiter = new SoftLimiter({ threshold: opts.limiterThreshold });
    this.#sourceOpts = opts.source ?? {};
    this.#maxCatchUp = opts.maxCatchUpTicks ?? 5;
    this.#clock = opts.clock ?? WALL_CLOCK;
    this.#frame = { index: 0, sampleTime: 0, total: this.#total, minus: this.#minus, levels: this.#levels };
  }

  /** Sample clock of the next frame. */
  get sampleTime(): number {
    return this.#index * FRAME_SAMPLES;
  }

  get closed(): boolean {
    return this.#closed;
  }

  sourceIds(): string[] {
    return [...this.#entries.keys()];
  }

  getSource(id: string): FrameSource | undefined {
    return this.#entries.get(id)?.source;
  }

  /** Adds a source; by default a SpeakerSource fed with `push()`. A duplicate id is a caller bug. */
  addSource(id: string, source: FrameSource = new SpeakerSource(id, this.#sourceOpts)): FrameSource {
    if (this.#entries.has(id)) throw new TypeError(`mixer source ${id} already exists`);
    const minusBuffer = new Int16Array(FRAME_SAMPLES);
    const entry: Entry = { id, source, minusBuffer, frame: null, fading: [] };
    this.#entries.set(id, entry);
    this.#list.push(entry);
    this.#minus.set(id, this.#total);
    this.#levels.set(id, SILENCE_DB);
    return source;
  }

  /** Removes a source: it gets no mix-minus from now on, and its sound fades out over the next tick. */
  removeSource(id: string): void {
    const entry = this.#entries.get(id);
    if (!entry) return;
    this.#entries.delete(id);
    this.#list = this.#list.filter((e) => e !== entry);
    this.#minus.delete(id);
    this.#levels.delete(id);
    if (entry.source.end) {
      entry.source.end();
      this.#leaving.set(entry.source, id);
    }
  }

  /** Feeds a packet to a SpeakerSource; undefined when the id is unknown or not packet-fed. */
  push(id: string, packet: OpusPacket): PushResult | 'ended' | undefined {
    const source = this.#entries.get(id)?.source;
    return source instanceof SpeakerSource ? source.push(packet) : undefined;
  }

  /** Mixes one 20 ms frame and emits it. */
  tick(): MixFrame {
    if (this.#closed) throw new TypeError('mixer is closed');
    const sum = this.#sum;
    const list = this.#list;
    const levels = this.#levels;
    let filled = false; // the first frame is copied into the sum, not added: no clearing pass
    for (let e = 0; e < list.length; e++) {
      const entry = list[e] as Entry;
      const frame = this.#pull(entry.source, entry.id);
      entry.frame = frame;
      if (entry.fading.length > 0) entry.fading.length = 0;
      if (!frame) {
        levels.set(entry.id, SILENCE_DB);
        continue;
      }
      const squares = filled ? addInto(sum, frame) : copyInto(sum, frame);
      filled = true;
      levels.set(entry.id, toDbfs(squares, frame.length));
    }
    if (!filled) sum.fill(0);
    for (const [source, id] of this.#leaving) {
      const frame = this.#pull(source, 'leaving');
      if (frame) {
        addInto(sum, frame);
        this.#entries.get(id)?.fading.push(frame);
      }
      if (!frame || source.finished) this.#leaving.delete(source);
    }
    // No fast path for a mix under the knee: the limiter's knee test is a well-predicted branch, and
    // tracking each frame's peak to skip it cost as much as it saved (measured with 13 talking).
    const limiter = this.#limiter;
    limiter.process(sum, this.#total);
    const scratch = this.#scratch;
    for (let e = 0; e < list.length; e++) {
      const entry = list[e] as Entry;
      const own = entry.frame;
      const out = entry.minusBuffer;
      if (entry.fading.length === 0) {
        if (!own) {
          this.#minus.set(entry.id, this.#total);
          continue;
        }
        limiter.processDifference(sum, own, out);
      } else {
        // Their earlier session is still fading out: it is theirs too, so it comes out as well.
        scratch.set(sum);
        if (own) subtractFrom(scratch, own);
        for (const fading of entry.fading) subtractFrom(scratch, fading);
        limiter.process(scratch, out);
      }
      this.#minus.set(entry.id, out);
    }
    const mix = this.#frame;
    mix.index = this.#index;
    mix.sampleTime = this.#index * FRAME_SAMPLES;
    this.#index++;
    this.emit('frame', mix);
    return mix;
  }

  /** Runs `tick()` every 20 ms on the clock, catching up briefly after stalls. */
  start(): void {
    if (this.#closed) throw new TypeError('mixer is closed');
    if (this.#cancelTimer) return;
    this.#clockOrigin = this.#clock.now();
    this.#clockTicks = 0;
    this.#schedule();
  }

  stop(): void {
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
  }

  /** Idempotent: stops the clock, drops every source and listener. */
  close(): void {
    if (this.#closed) return;
    this.stop();
    this.#closed = true;
    this.#entries.clear();
    this.#list = [];
    this.#leaving.clear();
    this.#minus.clear();
    this.#levels.clear();
    this.removeAllListeners();
  }

  #schedule(): void {
    const due = this.#clockOrigin + (this.#clockTicks + 1) * FRAME_MS;
    this.#cancelTimer = this.#clock.schedule(this.#onTimerBound, Math.max(0, due - this.#clock.now()));
  }

  #onTimer(): void {
    this.#cancelTimer = undefined;
    if (this.#closed) return;
    let behind = Math.floor((this.#clock.now() - this.#clockOrigin) / FRAME_MS) - this.#clockTicks;
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

// The loops read lengths, not FRAME_SAMPLES: an imported binding can cost a getter call per iteration
// when a loader (tsx) turns ES modules into CommonJS.
/** Adds `frame` into `sum` and returns the frame's sum of squares (for its level): one pass for both. */
function addInto(sum: Int32Array, frame: Int16Array): number {
  let squares = 0;
  for (let i = 0, n = frame.length; i < n; i++) {
    const s = frame[i] as number;
    sum[i] = (sum[i] as number) + s;
    squares += s * s;
  }
  return squares;
}

/** `addInto` onto a sum of zeros, without reading it (the first frame of a tick: no clearing pass). */
function copyInto(sum: Int32Array, frame: Int16Array): number {
  let squares = 0;
  for (let i = 0, n = frame.length; i < n; i++) {
    const s = frame[i] as number;
    sum[i] = s;
    squares += s * s;
  }
  return squares;
}

function subtractFrom(acc: Int32Array, frame: Int16Array): void {
  for (let i = 0, n = frame.length; i < n; i++) acc[i] = (acc[i] as number) - (frame[i] as number);
}

/** RMS of a frame in dBFS (0 = full-scale square wave), floored at SILENCE_DB. */
export function rmsDbfs(frame: Int16Array): number {
  let acc = 0;
  for (let i = 0; i < frame.length; i++) {
    const s = frame[i] as number;
    acc += s * s;
  }
  return toDbfs(acc, frame.length);
}

function toDbfs(squares: number, samples: number): number {
  if (squares === 0) return SILENCE_DB;
  return Math.max(SILENCE_DB, 10 * Math.log10(squares / samples / (32768 * 32768)));
}
