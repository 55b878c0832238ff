/**
 * Stall accounting for a headless player, by the clock of part arrivals.
 *
 * Definition. Playback is modelled as starting when the first part arrives (time t0) and consuming parts
 * back to back in real time, so part k is due at `due(k) = t0 + (sum of the durations of parts 0..k-1)`.
 * Its lateness is `arrival(k) - due(k)`. A stall is a part late by more than `tolerance` (default 1.5 part
 * targets): a player holding that much audio in its buffer would have run dry and waited. After a stall
 * the player is taken to have re-buffered: the schedule restarts at that part (`t0 := arrival(k) - elapsed
 * media before k`), so one outage counts once, not once per later part.
 *
 * Parts that arrive in a burst (the start-up hold-back, or catching up) arrive early and build the same
 * buffer a real player would have. Nothing here reads a clock: arrival times are given, so tests use exact
 * numbers.
 */
export interface StallMeterOptions {
  /** EXT-X-PART-INF PART-TARGET, seconds. */
  readonly partTargetS: number;
  /** In part targets. Default 1.5. */
  readonly toleranceParts?: number;
}

export interface StallEvent {
  /** Which part (0-based, in arrival order). */
  readonly part: number;
  /** How late it was, ms. */
  readonly lateMs: number;
}

export class StallMeter {
  readonly #toleranceMs: number;
  #t0: number | undefined;
  #mediaMs = 0; // media before the next part
  #parts = 0;
  readonly stalls: StallEvent[] = [];
  /** Lateness of the latest part, ms (negative = buffered ahead). */
  lastLatenessMs = 0;

  constructor(opts: StallMeterOptions) {
    if (!(opts.partTargetS > 0)) throw new TypeError('partTargetS must be > 0');
    this.#toleranceMs = (opts.toleranceParts ?? 1.5) * opts.partTargetS * 1000;
  }

  get count(): number {
    return this.stalls.length;
  }

  /** A part of `durationS` seconds arrived at `arrivalMs` (any monotonic ms clock). */
  onPart(arrivalMs: number, durationS: number): StallEvent | undefined {
    const index = this.#parts++;
    this.#t0 ??= arrivalMs;
    const due = this.#t0 + this.#mediaMs;
    const late = arrivalMs - due;
    this.lastLatenessMs = late;
    let stall: StallEvent | undefined;
    if (late > this.#toleranceMs) {
      stall = { part: index, lateMs: late };
      this.stalls.push(stall);
      this.#t0 = arrivalMs - this.#mediaMs;
    }
    this.#mediaMs += durationS * 1000;
    return stall;
  }
}
