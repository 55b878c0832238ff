/**
 * Bounded concurrency for expensive work (scrypt): at most `concurrency` jobs run, at most `queue` wait,
 * and the rest are refused at once with 503 `server_busy` and a Retry-After. A queue that grows without
 * end would turn a sign-up flood into minutes of delay for everyone behind it.
 *
 * Waiters are served by class, then in arrival order: a storm of sign-ups or of guesses cannot keep a
 * real person from signing in. When the queue is full, a newcomer takes the place of the newest waiter of
 * a later class, who is refused instead.
 */
import { RostraError } from '../errors/index.js';

/** Who is asking, first served first. */
export const WorkClass = {
  /** A sign-in from a device that signed in to this account before (a device cookie). */
  knownDevice: 0,
  /** A sign-in from an address with no recent failures and no other sign-in being checked. */
  cleanSignIn: 1,
  /** Any other sign-in. */
  signIn: 2,
  /** A sign-up: a new account can wait a moment; a person signing in should not. */
  signUp: 3,
} as const;
export type WorkClass = (typeof WorkClass)[keyof typeof WorkClass];

/** Where a job's time went (for `Server-Timing` and the bench). */
export interface WorkTiming {
  waitMs: number;
  runMs: number;
}

export class WorkLimiter {
  readonly #concurrency: number;
  readonly #maxQueue: number;
  readonly #retryAfterS: number;
  /** By class, then arrival order. */
  readonly #waiting: Waiter[] = [];
  #running = 0;
  #seq = 0;
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
   * Runs `job` in its turn; `timing`, when given, is filled in with the wait and the run. `key` (the
   * client's address) lets `demote` find the job while it waits.
   */
  async run<T>(
    job: () => Promise<T>,
    cls: WorkClass = WorkClass.signIn,
    timing?: WorkTiming,
    key?: string,
  ): Promise<T> {
    const t0 = performance.now();
    if (this.#running >= this.#concurrency) {
      if (this.#waiting.length >= this.#maxQueue) {
        const bumped = this.#newestAfter(cls);
        if (bumped < 0) throw this.#busy();
        const [victim] = this.#waiting.splice(bumped, 1);
        victim?.reject(this.#busy());
      }
      await new Promise<void>((resolve, reject) => {
        this.#insert({ cls, seq: this.#seq++, key, resolve, reject });
      });
    } else this.#running++;
    const t1 = performance.now();
    try {
      return await job();
    } finally {
      if (timing) {
        timing.waitMs = t1 - t0;
        timing.runMs = performance.now() - t1;
      }
      const next = this.#waiting.shift();
      // The slot passes straight to the next waiter, so the count never dips and lets a newcomer jump in.
      if (next) next.resolve();
      else this.#running--;
    }
  }

  /**
   * Moves `key`'s waiters of class `from` back to `to`, keeping arrival order: an address that turns
   * out to send many sign-ins at once was not a person with a clean record.
   */
  demote(key: string, from: WorkClass, to: WorkClass): void {
    const moved = this.#waiting.filter((w) => w.key === key && w.cls === from);
    if (moved.length === 0) return;
    for (const w of moved) {
      this.#waiting.splice(this.#waiting.indexOf(w), 1);
      w.cls = to;
      this.#insert(w);
    }
  }

  #insert(w: Waiter): void {
    const at = this.#waiting.findIndex((o) => o.cls > w.cls || (o.cls === w.cls && o.seq > w.seq));
    if (at >= 0) this.#waiting.splice(at, 0, w);
    else this.#waiting.push(w);
  }

  #newestAfter(cls: WorkClass): number {
    let at = -1;
    for (let i = 0; i < this.#waiting.length; i++) {
      const w = this.#waiting[i] as Waiter;
      // The newest of the latest class: the one who has waited least among those who matter least.
      if (w.cls > cls && (at < 0 || w.cls >= (this.#waiting[at] as Waiter).cls)) at = i;
    }
    return at;
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
  cls: WorkClass;
  /** arrival order */
  seq: number;
  key: string | undefined;
  resolve: () => void;
  reject: (err: Error) => void;
}
