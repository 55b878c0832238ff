/**
 * What the stage benches (bench/stage.bench.ts, the flood probe in bench/flood.bench.ts) play and how they
 * read it back: one tone plan, one stage-delay measure and one own-voice measure, so that both benches
 * report the same thing.
 *
 * Tone plan: the host's bot plays 400 Hz with a 10 ms 2 kHz pulse every period; the guest's bot 1 kHz
 * with a 3 kHz pulse. Both pause for 200 ms every 4 periods, as a voice pauses between phrases. Every
 * frequency is a multiple of 50 Hz (whole cycles in a 20 ms frame: exact Goertzel bins, no leakage
 * between them) and the tones are ≥ 600 Hz from each other and from the pulses.
 *
 * Own voice: per 20 ms frame a bot receives, its own tone relative to the other speaker's (Hann-windowed
 * Goertzel), with the rules in `OwnVoiceMeter`. Validated on synthetic feeds through Opus at 32 kbps (the
 * mix-minus encoder): a clean feed reads −48.9 dB worst (the codec's floor in a 20 ms bin), a steady leak
 * at −40 / −20 / 0 dB reads −39.3 / −19.7 / +0.3 dB (bench/stage.bench.ts has the history). The measure
 * that came before (200 ms windows, a 1 kHz pulse beside a 660 Hz tone) read −25 dB, even 0 dB, on a
 * clean feed: the pulse's switching clicks, not a leak.
 */
import type { SpeakerBot, SpeakerBotOptions } from '../src/bot/index.js';
import { ToneDetector, amplitudeToDb, toneAmplitude } from '../src/bot/ToneDetector.js';
import { fmt, percentile } from './lib.js';

const SAMPLE_RATE = 48_000;
const FRAME = 960; // 20 ms at 48 kHz
export const HOST = { toneHz: 400, pulseHz: 2000 } as const;
export const GUEST = { toneHz: 1000, pulseHz: 3000 } as const;
/** The own-voice measure at a frequency nobody plays: the floor of the method (glitches, codec noise). */
export const UNPLAYED_HZ = 700;
export const TONE_DBFS = -18;
/** The other speaker's tone below this in a frame: no reference for a ratio. */
export const REFERENCE_FLOOR_DBFS = -40;
/** A pulse above this in a frame: it and its neighbours are left out. */
const PULSE_FLOOR_DBFS = -60;
/** Glitch test (see OwnVoiceMeter): noise bins this far from the own tone, and the thresholds. */
const NEIGHBOUR_HZ = 150;
export const NOISY_DB = -45;
export const TONAL_DB = 10;
/** The goal (issue 13): a speaker's own tone in their return feed, relative to the others, always below. */
export const OWN_VOICE_GOAL_DB = -40;

/**
 * A bot's signal in the tone plan: `toneHz`, and with `pulse` a pulse at `sendHz` every `pulseEveryMs`
 * while it times the other's pulse at `hearHz`. A voice pauses between phrases: the stage's jitter
 * buffers drain standing delay at pauses (src/audio/JitterBuffer.ts), and a tone that never paused kept
 * the standing delay of any burst of its packets for the rest of the run.
 */
export function speakerSignal(
  toneHz: number,
  pulseEveryMs: number,
  pulse?: { sendHz: number; hearHz: number },
): Pick<SpeakerBotOptions, 'audio' | 'pulseHz'> {
  return {
    audio: {
      kind: 'tone',
      frequencyHz: toneHz,
      levelDbfs: TONE_DBFS,
      ...(pulse ? { pulse: { everyMs: pulseEveryMs, durationMs: 10, frequencyHz: pulse.sendHz } } : {}),
      pause: { everyMs: 4 * pulseEveryMs, durationMs: 200 },
    },
    ...(pulse ? { pulseHz: pulse.hearHz } : {}),
  };
}

/**
 * Pulses `from` sent and `to` heard within [t0, t1]: arrival − the latest pulse sent before it. A delay
 * ≥ the pulse period would read as a shorter one, so none is kept.
 */
export function pulseDelays(
  from: SpeakerBot,
  to: SpeakerBot,
  t0: number,
  t1: number,
  pulseEveryMs: number,
): number[] {
  const sent = from.report().pulsesSent;
  return to
    .report()
    .pulsesHeard.filter((at) => at >= t0 && at <= t1)
    .map((at) => at - Math.max(...sent.filter((t) => t <= at)))
    .filter((d) => Number.isFinite(d) && d >= 0 && d < pulseEveryMs);
}

/**
 * The decoded 20 ms frames a bot receives. SpeakerBot hands every decoded frame to its ToneDetector and
 * keeps no PCM itself, so the bench wraps ToneDetector's prototype (in its own process only, on the first
 * claim): `claim(bot)` learns which detector is that bot's, from the `tones()` its `report()` calls.
 * While `recording`, each whole frame goes to `onFrame` if set, else is kept in `frames`.
 */
export class FrameTap {
  static readonly #byDetector = new Map<ToneDetector, FrameTap>();
  static #claiming: FrameTap | undefined;
  static #wrapped = false;

  static #wrap(): void {
    if (FrameTap.#wrapped) return;
    FrameTap.#wrapped = true;
    const push = ToneDetector.prototype.push;
    const tones = ToneDetector.prototype.tones;
    ToneDetector.prototype.push = function (this: ToneDetector, samples) {
      FrameTap.#byDetector.get(this)?.take(samples);
      push.call(this, samples);
    };
    ToneDetector.prototype.tones = function (this: ToneDetector) {
      if (FrameTap.#claiming) FrameTap.#byDetector.set(this, FrameTap.#claiming);
      return tones.call(this);
    };
  }

  static claim(bot: SpeakerBot): FrameTap {
    FrameTap.#wrap();
    const tap = new FrameTap();
    FrameTap.#claiming = tap;
    bot.report();
    FrameTap.#claiming = undefined;
    if (![...FrameTap.#byDetector.values()].includes(tap)) throw new Error('no ToneDetector to tap');
    return tap;
  }

  recording = false;
  frames: Float32Array[] = [];
  onFrame: ((frame: Float32Array) => void) | undefined;
  #partial = new Float32Array(FRAME);
  #filled = 0;

  take(samples: ArrayLike<number>): void {
    if (!this.recording) return;
    for (let i = 0; i < samples.length; i++) {
      this.#partial[this.#filled++] = samples[i] ?? 0;
      if (this.#filled === FRAME) {
        if (this.onFrame) this.onFrame(this.#partial);
        else this.frames.push(this.#partial);
        this.#partial = new Float32Array(FRAME);
        this.#filled = 0;
      }
    }
  }

  start(): void {
    this.frames = [];
    this.#filled = 0;
    this.recording = true;
  }
}

export interface OwnVoice {
  /** Own tone − other speaker's tone, dB, per measured frame. */
  rel: number[];
  /** The unplayed tone − other speaker's tone, dB, per measured frame. */
  unplayed: number[];
  noReference: number;
  nearPulse: number;
  noisy: number;
  /** The frame that gave the worst `rel`: own tone, other tone, noise beside the own tone, dBFS. */
  worstFrame?: { own: number; other: number; noise: number };
}

const db = (f: Float32Array, hz: number) => amplitudeToDb(toneAmplitude(f, SAMPLE_RATE, hz, 'hann'));

/**
 * Frame by frame, the own tone relative to the other speaker's, in what one bot received. Frames within
 * one frame of a pulse of the other speaker are left out (a pulse's switching clicks are broadband: not a
 * leak); frames where the other speaker's tone is below −40 dBFS (it plays at −18) are "no reference": the
 * ratio would mean nothing. A glitch (a click after a gap, a decoder reset) is broadband: it fills the own
 * tone's bin as it fills its neighbours (own ± 150 Hz, 3 bins away, where a steady own tone puts
 * nothing). Where that noise is within 45 dB of the other speaker's tone, the frame cannot tell a −40 dB
 * leak from the glitch: it is "too noisy" and counted, unless the own tone stands ≥ 10 dB out of the
 * noise (then it is a leak, glitch or not, and measured).
 *
 * Incremental: `push` each frame as it arrives (six Goertzels over 960 samples, ~0.1 ms), so a live
 * probe never analyses a batch on its bots' event loop. A frame is decided when the next one arrives
 * (its pulse counts); `flush` decides the last one as if no pulse followed. `take` returns what was
 * decided since the last `take`.
 */
export class OwnVoiceMeter {
  #out: OwnVoice = { rel: [], unplayed: [], noReference: 0, nearPulse: 0, noisy: 0 };
  #worst = -Infinity;
  #previousPulse = false;
  #previousNoReference = false;
  #pending: { frame: Float32Array; pulse: boolean; noReference: boolean } | undefined;

  constructor(
    readonly ownHz: number,
    readonly otherHz: number,
    readonly otherPulseHz: number,
  ) {}

  push(frame: Float32Array): void {
    const pulse = db(frame, this.otherPulseHz) > PULSE_FLOOR_DBFS;
    const noReference = db(frame, this.otherHz) < REFERENCE_FLOOR_DBFS;
    this.#decidePending(pulse, noReference);
    this.#pending = { frame, pulse, noReference };
  }

  flush(): void {
    this.#decidePending(false, false);
    this.#previousPulse = false;
    this.#previousNoReference = false;
  }

  take(): OwnVoice {
    const out = this.#out;
    this.#out = { rel: [], unplayed: [], noReference: 0, nearPulse: 0, noisy: 0 };
    this.#worst = -Infinity;
    return out;
  }

  #decidePending(nextPulse: boolean, nextNoReference: boolean): void {
    const p = this.#pending;
    if (!p) return;
    this.#pending = undefined;
    const { previousPulse, previousNoReference } = {
      previousPulse: this.#previousPulse,
      previousNoReference: this.#previousNoReference,
    };
    this.#previousPulse = p.pulse;
    this.#previousNoReference = p.noReference;
    // A frame beside one without the other's tone (the other speaker's pause) holds that tone only in
    // part: as a reference it would over-read a leak by ~3 dB. It counts as "no reference" too.
    const edge = previousNoReference || nextNoReference;
    this.#decide(p.frame, previousPulse || p.pulse || nextPulse, edge);
  }

  #decide(f: Float32Array, nearPulse: boolean, besidePause: boolean): void {
    const out = this.#out;
    if (nearPulse) {
      out.nearPulse++;
      return;
    }
    const other = db(f, this.otherHz);
    if (besidePause || other < REFERENCE_FLOOR_DBFS) {
      out.noReference++;
      return;
    }
    const own = db(f, this.ownHz);
    const noise = Math.max(db(f, this.ownHz - NEIGHBOUR_HZ), db(f, this.ownHz + NEIGHBOUR_HZ));
    if (noise - other > NOISY_DB && own - noise < TONAL_DB) {
      out.noisy++;
      return;
    }
    out.rel.push(own - other);
    out.unplayed.push(db(f, UNPLAYED_HZ) - other);
    if (own - other > this.#worst) {
      this.#worst = own - other;
      out.worstFrame = { own, other, noise };
    }
  }
}

/** `OwnVoiceMeter` over a recorded feed. */
export function ownVoice(
  frames: readonly Float32Array[],
  ownHz: number,
  otherHz: number,
  otherPulseHz: number,
): OwnVoice {
  const meter = new OwnVoiceMeter(ownHz, otherHz, otherPulseHz);
  for (const f of frames) meter.push(f);
  meter.flush();
  return meter.take();
}

export function merge(a: OwnVoice, b: OwnVoice): OwnVoice {
  const worse = Math.max(...a.rel) >= Math.max(...b.rel) ? a : b;
  return {
    rel: [...a.rel, ...b.rel],
    unplayed: [...a.unplayed, ...b.unplayed],
    noReference: a.noReference + b.noReference,
    nearPulse: a.nearPulse + b.nearPulse,
    noisy: a.noisy + b.noisy,
    ...(worse.worstFrame ? { worstFrame: worse.worstFrame } : {}),
  };
}

const dbText = (x: number) => (Number.isFinite(x) ? `${fmt(x, 1)} dB` : '−∞');
/** The worst frame, or "no frames" when none could be measured (not −∞: that would read as a pass). */
export const worstText = (xs: readonly number[]) => (xs.length === 0 ? 'no frames' : dbText(Math.max(...xs)));

/** What both benches print: own voice worst, median; the unplayed tone's worst; the frames' counts. */
export function ownVoiceCells(v: OwnVoice): [string, string, string, string] {
  return [
    worstText(v.rel),
    v.rel.length === 0 ? '' : dbText(percentile(v.rel, 50)),
    worstText(v.unplayed),
    `${fmt(v.rel.length)} / ${fmt(v.noReference)} / ${fmt(v.nearPulse)} / ${fmt(v.noisy)}`,
  ];
}
