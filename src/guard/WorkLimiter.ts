/**
 * Bounded concurrency for expensive work (scrypt): at most `concurrency` jobs run, at most `queue` wait,
 * and the rest are refused at once with 503 `server_busy` and a Retry-After. A queue that grows without
 * end would turn a sign-up flood into minutes of delay for everyone behind it.
 */
import { RostraError } from '../errors/index.js';

export class WorkLimiter {
  readonly #concurrency: number;
  readonly #maxQueue: number;
  readonly #retryAfterS: number;
  /** Priority waiters first, then the rest, each in arrival order. */
  readonly #waiting: Waiter[] = [];
  #running = 0;
  /** Jobs refused so far (metrics, tests). */
  refused = 0;

  constructor(opts: { concurrency: number; queue: number; retryAfterS?: number }) {
    if (opts.concurrency < 1) throw new TypeError('WorkLimiter: concurrency must be at least 1');
    this.#concurrency = opts.concurrency;
    this.#maxQueue = opts.queue;
    this.#retryAfterS = opts.retryAfterS ?? 2;
  }

  get running(): number {
    return this.#running;
  }

  get queued(): number {
    return this.#waiting.length;
  }

  /**
   * `priority`: a caller with a clean record (no recent failures from its address). When the queue is
   * full, it takes the place of the newest waiter without one, who is refused instead: a storm of
   * guesses cannot keep a real person from signing in.
   */
  async run<T>(job: () => Promise<T>, priority = false): Promise<T> {
    if (this.#running >= this.#concurrency) {
      if (this.#waiting.length >= this.#maxQueue) {
        const bumped = priority ? this.#newestWithout() : -1;
        if (bumped < 0) throw this.#busy();
        const [victim] = this.#waiting.splice(bumped, 1);
        victim?.reject(this.#busy());
      }
      await new Promise<void>((resolve, reject) => {
        const waiter = { priority, resolve, reject };
        const at = priority ? this.#waiting.findIndex((w) => !w.priority) : -1;
        if (at >= 0) this.#waiting.splice(at, 0, waiter);
        else this.#waiting.push(waiter);
      });
    } else this.#running++;
    try {
      return await job();
    } finally {
      const next = this.#waiting.shift();
      // The slot passes straight to the next waiter, so the count never dips and lets a newcomer jump in.
      if (next) next.resolve();
      else this.#running--;
    }
  }

  #newestWithout(): number {
    for (let i = this.#waiting.length - 1; i >= 0; i--) if (!this.#waiting[i]?.priority) return i;
    return -1;
  }

  #busy(): RostraError {
    this.refused++;
    return new RostraError('server_busy', 'Too many sign-ins at once. Retry in a moment.', {
      retryAfter: this.#retryAfterS,
      details: { reason: 'busy' },
    });
  }
}

interface Waiter {
  priority: boolean;
  resolve: () => void;
  reject: (err: Error) => void;
}
