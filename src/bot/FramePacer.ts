/**
 * A drift-free frame clock: frame n is due at start + n × frameMs, whatever the timer jitter. Late frames are
 * caught up (a few at a time); after a long stall the pacer skips ahead instead of bursting.
 */

export interface PacerClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: PacerClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface FramePacerOptions {
  /** Default 20 ms. */
  readonly frameMs?: number;
  /** Most late frames sent in one wake-up; beyond that the pacer skips ahead. Default 5. */
  readonly maxCatchUp?: number;
  readonly clock?: PacerClock;
}

export class FramePacer {
  readonly #frameMs: number;
  readonly #maxCatchUp: number;
  readonly #clock: PacerClock;
  readonly #onFrame: (index: number) => void;
  #start = 0;
  #next = 0;
  #timer: unknown;
  #running = false;
  #skipped = 0;

  /** `onFrame(index)` is called once per due frame; `index` grows by 1, or jumps after a stall. */
  constructor(onFrame: (index: number) => void, opts: FramePacerOptions = {}) {
    this.#frameMs = opts.frameMs ?? 20;
    this.#maxCatchUp = opts.maxCatchUp ?? 5;
    this.#clock = opts.clock ?? realClock;
    this.#onFrame = onFrame;
    if (!(this.#frameMs > 0) || !(this.#maxCatchUp >= 1)) throw new TypeError('bad FramePacer options');
  }

  get running(): boolean {
    return this.#running;
  }

  /** Frames skipped after stalls. */
  get skipped(): number {
    return this.#skipped;
  }

  /** Starts at frame 0, due now. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#start = this.#clock.now();
    this.#next = 0;
    this.#tick();
  }

  stop(): void {
    this.#running = false;
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #tick(): void {
    this.#timer = undefined;
    if (!this.#running) return;
    const now = this.#clock.now();
    const dueNow = Math.floor((now - this.#start) / this.#frameMs);
    if (dueNow - this.#next >= this.#maxCatchUp) {
      const skipTo = dueNow - this.#maxCatchUp + 1;
      this.#skipped += skipTo - this.#next;
      this.#next = skipTo;
    }
    while (this.#running && this.#next <= dueNow) {
      this.#onFrame(this.#next);
      this.#next += 1;
    }
    if (!this.#running) return;
    const wait = Math.max(0, this.#start + this.#next * this.#frameMs - this.#clock.now());
    this.#timer = this.#clock.setTimeout(() => this.#tick(), wait);
  }
}
