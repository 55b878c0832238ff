/**
 * The one definition of a stall, for every headless player here: `rostra listen`, the load test's
 * simulated and decoding listeners, and the benches.
 *
 * Playback is modelled as starting when the first audio arrives (t0) and consuming it back to back in real
 * time, so the buffer runs dry at `dry = t0 + media received`. A stall is the buffer staying dry for longer
 * than `tolerance` (default 1.5 part targets, the audio a low-latency player holds): counted by wall time,
 * so a freeze is a stall whether or not any part ever arrives again (`tick`), and whatever the part
 * numbers do. A stream that jumps (media sequence going backwards after an origin restart, or parts that
 * left the window before they were fetched) is a discontinuity, and counts as a stall too. One outage
 * counts once: a stall stays open until audio arrives again, and the schedule then restarts from it.
 *
 * Nothing here reads a clock: times are given (any monotonic ms clock), so tests use exact numbers.
 */
export const STALL_TOLERANCE_PARTS = 1.5;

export interface StallMeterOptions {
  /** EXT-X-PART-INF PART-TARGET, seconds. */
  readonly partTargetS: number;
  /** In part targets. Default STALL_TOLERANCE_PARTS. */
  readonly toleranceParts?: number;
}

export type StallCause =
  /** Audio arrived after the buffer had been dry for longer than the tolerance. */
  | 'late'
  /** The wall clock passed the tolerance with no new audio (found by `tick`, before any arrives). */
  | 'dry'
  /** The stream jumped: media sequence backwards, or parts lost. */
  | 'discontinuity';

export interface StallEvent {
  readonly cause: StallCause;
  /** When playback stopped: the moment the buffer ran dry. */
  readonly atMs: number;
  /** How many pieces of audio had arrived before it. */
  readonly part: number;
}

export class StallMeter {
  readonly toleranceMs: number;
  readonly stalls: StallEvent[] = [];
  /** Lateness of the latest audio against the schedule, ms (negative = buffered ahead). */
  lastLatenessMs = 0;
  #t0: number | undefined;
  #mediaMs = 0;
  #parts = 0;
  #open: { fromMs: number } | undefined;
  #stalledMs = 0;

  constructor(opts: StallMeterOptions) {
    if (!(opts.partTargetS > 0)) throw new TypeError('partTargetS must be > 0');
    const parts = opts.toleranceParts ?? STALL_TOLERANCE_PARTS;
    if (!(parts > 0)) throw new TypeError('toleranceParts must be > 0');
    this.toleranceMs = parts * opts.partTargetS * 1000;
  }

  get count(): number {
    return this.stalls.length;
  }

  /** Pieces of audio (parts or segments) received. */
  get parts(): number {
    return this.#parts;
  }

  /** Whether playback is stalled now (a stall is open until audio arrives). */
  get stalled(): boolean {
    return this.#open !== undefined;
  }

  /** Wall time without audio, ms: every stall from the buffer running dry to the next audio (or `nowMs`). */
  stalledMs(nowMs?: number): number {
    const open = this.#open && nowMs !== undefined ? Math.max(0, nowMs - this.#open.fromMs) : 0;
    return this.#stalledMs + open;
  }

  /** `durationS` seconds of audio arrived at `arrivalMs`. */
  onAudio(arrivalMs: number, durationS: number): StallEvent | undefined {
    const part = this.#parts++;
    if (this.#t0 === undefined) {
      this.#t0 = arrivalMs;
      this.#mediaMs = durationS * 1000;
      return undefined;
    }
    const dry = this.#t0 + this.#mediaMs;
    const late = arrivalMs - dry;
    this.lastLatenessMs = late;
    let stall: StallEvent | undefined;
    let waited = false;
    if (this.#open) {
      this.#stalledMs += Math.max(0, arrivalMs - this.#open.fromMs);
      this.#open = undefined;
      waited = true;
    } else if (late > this.toleranceMs) {
      stall = this.#record('late', dry, part);
      this.#stalledMs += late;
      waited = true;
    }
    // After a stall the player has re-buffered: its schedule restarts at this audio (one outage counts
    // once). Lateness within the tolerance only eats into the buffer, and stays owed.
    if (waited && late > 0) this.#t0 += late;
    this.#mediaMs += durationS * 1000;
    return stall;
  }

  /** The wall clock is at `nowMs`: opens a stall when the buffer has been dry longer than the tolerance. */
  tick(nowMs: number): StallEvent | undefined {
    if (this.#t0 === undefined || this.#open) return undefined;
    const dry = this.#t0 + this.#mediaMs;
    if (nowMs - dry <= this.toleranceMs) return undefined;
    this.#open = { fromMs: dry };
    return this.#record('dry', dry, this.#parts);
  }

  /**
   * The stream jumped (sequence backwards, or parts lost): a stall, unless one is open already. Playback
   * stops when the audio already buffered runs out; the stall closes when audio arrives again.
   */
  discontinuity(): StallEvent | undefined {
    if (this.#t0 === undefined || this.#open) return undefined;
    const dry = this.#t0 + this.#mediaMs;
    this.#open = { fromMs: dry };
    return this.#record('discontinuity', dry, this.#parts);
  }

  #record(cause: StallCause, atMs: number, part: number): StallEvent {
    const stall = { cause, atMs, part };
    this.stalls.push(stall);
    return stall;
  }
}
