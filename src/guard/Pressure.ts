/**
 * Measured pressure, and the shedding level it calls for (ARCHITECTURE.md, "Degradation ladder"):
 *   0 calm: only junk and over-rate clients are refused (always, by the rate limits);
 *   1 strained: new anonymous joins wait in the fair line;
 *   2 overloaded (1.5x a limit): new signed-in joins are refused too.
 * Heartbeats, media, the stage and WHIP of people on stage are never shed by pressure. The source is
 * injectable so tests drive the level exactly; the default reads the process.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';

export interface PressureReading {
  /** p99 event-loop delay since the last reading, ms. */
  eventLoopDelayMs: number;
  /** Heap in use / heap limit, 0..1. */
  heapFraction: number;
  /** Requests held open (blocking reloads). */
  heldRequests: number;
}

export interface PressureSource {
  read(): PressureReading;
  close?(): void;
}

export interface PressureLimits {
  eventLoopDelayMs: number;
  heapFraction: number;
  heldRequests: number;
}

export type PressureLevel = 0 | 1 | 2;

/** The process itself: event-loop delay from perf_hooks, the V8 heap, and held requests from the guard. */
export class ProcessPressureSource implements PressureSource {
  readonly #histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  readonly #held: () => number;
  readonly #heapLimit = getHeapStatistics().heap_size_limit;

  constructor(held: () => number) {
    this.#held = held;
    this.#histogram.enable();
  }

  read(): PressureReading {
    const p99 = this.#histogram.count > 0 ? this.#histogram.percentile(99) / 1e6 : 0;
    this.#histogram.reset();
    return {
      eventLoopDelayMs: p99,
      heapFraction: process.memoryUsage().heapUsed / this.#heapLimit,
      heldRequests: this.#held(),
    };
  }

  close(): void {
    this.#histogram.disable();
  }
}

export class Pressure {
  readonly #limits: PressureLimits;
  #source: PressureSource;
  #level: PressureLevel = 0;
  /**
   * The levels of the last few samples: the level in force is the lowest, i.e. pressure that lasted. It
   * starts calm, so a node's first samples (start-up, a first burst) cannot shed on their own.
   */
  #recent: PressureLevel[];
  readonly #sustain: number;
  #last: PressureReading = { eventLoopDelayMs: 0, heapFraction: 0, heldRequests: 0 };
  #timer: NodeJS.Timeout | undefined;

  /**
   * `sustain`: samples in a row a level must last to take effect. A burst (300 people behind one NAT
   * arriving in the same second) stalls the loop for a moment; only pressure that lasts sheds anyone.
   */
  constructor(source: PressureSource, limits: PressureLimits, sampleMs = 500, sustain = 3) {
    this.#source = source;
    this.#limits = limits;
    this.#sustain = sustain;
    this.#recent = Array<PressureLevel>(sustain).fill(0);
    this.#timer = setInterval(() => this.sample(), sampleMs).unref();
  }

  /** The level as of the last sample. */
  get level(): PressureLevel {
    return this.#level;
  }

  get reading(): PressureReading {
    return this.#last;
  }

  /** Replaces the source and takes its reading as lasting (tests drive the level exactly this way). */
  use(source: PressureSource): PressureLevel {
    if (source !== this.#source) this.#source.close?.();
    this.#source = source;
    this.#recent = [];
    for (let i = 0; i < this.#sustain; i++) this.sample();
    return this.#level;
  }

  sample(): PressureLevel {
    const r = this.#source.read();
    this.#last = r;
    const l = this.#limits;
    const worst = Math.max(
      r.eventLoopDelayMs / l.eventLoopDelayMs,
      r.heapFraction / l.heapFraction,
      r.heldRequests / l.heldRequests,
    );
    this.#recent.push(worst >= 1.5 ? 2 : worst >= 1 ? 1 : 0);
    if (this.#recent.length > this.#sustain) this.#recent.shift();
    this.#level = Math.min(...this.#recent) as PressureLevel;
    return this.#level;
  }

  close(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#source.close?.();
  }
}

/** A source that says what it is told (tests, benches). */
export class FixedPressureSource implements PressureSource {
  reading: PressureReading = { eventLoopDelayMs: 0, heapFraction: 0, heldRequests: 0 };
  read(): PressureReading {
    return this.reading;
  }
}
