/**
 * Turns per-tick levels into "is speaking" on/off for the UI. Hysteresis (a higher on threshold than off
 * threshold, plus a hold time before off) keeps the indicator from flickering between words, and state
 * changes are rate-limited per speaker (default at most 4 per second) because each one is fanned out to
 * every client of the space. Time is passed in (ms), so it runs on the mixer's tick clock and tests are
 * deterministic.
 */
import { TypedEmitter } from '../util/TypedEmitter.js';

export interface SpeakingDetectorOptions {
  /** A level at or above this (dBFS, or −dBov from RFC 6464) turns speaking on. Default −40. */
  onDb?: number;
  /** Speaking turns off once the level stays below this for `holdMs`. Default −50. */
  offDb?: number;
  /** Default 400 ms: covers the gaps between words. */
  holdMs?: number;
  /** Minimum time between two emitted changes for one speaker. Default 250 ms (4 Hz). */
  minChangeIntervalMs?: number;
}

export type SpeakingDetectorEvents = {
  /** Emitted only on a change, at most once per `minChangeIntervalMs` per speaker. */
  change: (speakerId: string, speaking: boolean) => void;
};

interface SpeakerState {
  raw: boolean; // the hysteresis decision
  emitted: boolean; // what listeners were last told
  lastLoudMs: number; // last time the level was at or above offDb
  lastEmitMs: number;
}

export class SpeakingDetector extends TypedEmitter<SpeakingDetectorEvents> {
  readonly #onDb: number;
  readonly #offDb: number;
  readonly #holdMs: number;
  readonly #minIntervalMs: number;
  readonly #speakers = new Map<string, SpeakerState>();

  constructor(opts: SpeakingDetectorOptions = {}) {
    super();
    this.#onDb = opts.onDb ?? -40;
    this.#offDb = opts.offDb ?? -50;
    this.#holdMs = opts.holdMs ?? 400;
    this.#minIntervalMs = opts.minChangeIntervalMs ?? 250;
    if (this.#offDb > this.#onDb) throw new TypeError('SpeakingDetector offDb must not exceed onDb');
    if (this.#holdMs < 0 || this.#minIntervalMs < 0)
      throw new TypeError('SpeakingDetector times must be >= 0');
  }

  isSpeaking(speakerId: string): boolean {
    return this.#speakers.get(speakerId)?.emitted ?? false;
  }

  /** Feeds one level for one speaker at time `nowMs`; emits `change` when the (rate-limited) state flips. */
  update(speakerId: string, levelDb: number, nowMs: number): void {
    let s = this.#speakers.get(speakerId);
    if (!s) {
      s = { raw: false, emitted: false, lastLoudMs: -Infinity, lastEmitMs: -Infinity };
      this.#speakers.set(speakerId, s);
    }
    if (levelDb >= this.#offDb) s.lastLoudMs = nowMs;
    if (!s.raw && levelDb >= this.#onDb) s.raw = true;
    else if (s.raw && nowMs - s.lastLoudMs >= this.#holdMs) s.raw = false;
    if (s.raw !== s.emitted && nowMs - s.lastEmitMs >= this.#minIntervalMs) {
      s.emitted = s.raw;
      s.lastEmitMs = nowMs;
      this.emit('change', speakerId, s.emitted);
    }
  }

  /** Forgets a speaker; if they were shown speaking, tells listeners they stopped (not rate-limited). */
  remove(speakerId: string): void {
    const s = this.#speakers.get(speakerId);
    this.#speakers.delete(speakerId);
    if (s?.emitted) this.emit('change', speakerId, false);
  }

  close(): void {
    this.#speakers.clear();
    this.removeAllListeners();
  }
}
