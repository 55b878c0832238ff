/**
 * Bounded concurrency for expensive work (scrypt): at most `concurrency` jobs run, at most `queue` wait,
 * and the rest are refused at once with 503 `server_busy` and a Retry-After. A queue that grows without
 * end would turn a sign-up flood into minutes of delay for everyone behind it.
 *
 * Waiters are served by class, then in arrival order: a storm of sign-ups or of guesses cannot keep a
 * real person from signing in. When the queue is full, a newcomer takes the place of the newest waiter of
 * a later class, who is refused instead. `reserved` slots are kept for the first classes (a known device,
 * a clean address): a person signing in then waits for no hash of the storm's to finish, only for their
 * own (~0.5 s on this machine; waiting for one more made it ~1.1 s, measured 1 Dec).
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

/**
 * Slots kept for the first classes out of `concurrency`: all but a third (at least one left to the rest).
 * Two people signing in in the same second, one from a known device and one from a clean address, then
 * both start at once beside the storm's one hash: with a single kept slot the second waited for the
 * first's whole hash (~0.55 s on 1 Dec's slower VM, pushing a new device's sign-in to 1.1-1.3 s). The
 * storm's classes keep the same share of the work, so its throughput is what it was.
 */
export function reservedSlots(concurrency: number): number {
  return concurrency - Math.max(1, Math.ceil(concurrency / 3));
}

/** Where a job's time went (for `Server-Timing` and the bench). */
export interface WorkTiming {
  waitMs: number;
  runMs: number;
}

/** The classes the reserved slots are kept for. */
const RESERVED_FOR = WorkClass.cleanSignIn;

export class WorkLimiter {
  readonly #concurrency: number;
  /** Slots the later classes may use. */
  readonly #forOthers: number;
  readonly #maxQueue: number;
  readonly #retryAfterS: number;
  /** By class, then arrival order. */
  readonly #waiting: Waiter[] = [];
  #running = 0;
  /** Of #running, jobs of the later classes. */
  #runningOthers = 0;
  #seq = 0;
  /** Jobs refused so far (metrics, tests). */
  refused = 0;

  constructor(opts: { concurrency: number; queue: number; retryAfterS?: number; reserved?: number }) {
    if (opts.concurrency < 1) throw new TypeError('WorkLimiter: concurrency must be at least 1');
    const reserved = opts.reserved ?? 0;
    if (reserved < 0 || reserved >= opts.concurrency)
      throw new TypeError('WorkLimiter: reserved must leave the later classes at least one slot');
    this.#concurrency = opts.concurrency;
    this.#forOthers = opts.concurrency - reserved;
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
    const w: Waiter = { cls, seq: this.#seq++, key, resolve: noop, reject: noop };
    if (!this.#canStart(w)) {
      if (this.#waiting.length >= this.#maxQueue) {
        const bumped = this.#newestAfter(cls);
        if (bumped < 0) throw this.#busy();
        const [victim] = this.#waiting.splice(bumped, 1);
        victim?.reject(this.#busy());
      }
      await new Promise<void>((resolve, reject) => {
        w.resolve = resolve;
        w.reject = reject;
        this.#insert(w);
      });
    } else this.#start(w);
    const t1 = performance.now();
    try {
      return await job();
    } finally {
      if (timing) {
        timing.waitMs = t1 - t0;
        timing.runMs = performance.now() - t1;
      }
      this.#running--;
      // The class it ran as (a demotion only moves waiters).
      if (w.cls > RESERVED_FOR) this.#runningOthers--;
      // Freed slots pass straight to waiters, in the same tick: no newcomer can jump in between.
      this.#dispatch();
    }
  }

  #canStart(w: Waiter): boolean {
    return (
      this.#running < this.#concurrency && (w.cls <= RESERVED_FOR || this.#runningOthers < this.#forOthers)
    );
  }

  #start(w: Waiter): void {
    this.#running++;
    if (w.cls > RESERVED_FOR) this.#runningOthers++;
  }

  /** Starts waiters in order while they can start (the queue is by class: once one cannot, nor can the rest). */
  #dispatch(): void {
    for (let next = this.#waiting[0]; next && this.#canStart(next); next = this.#waiting[0]) {
      this.#waiting.shift();
      this.#start(next);
      next.resolve();
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

function noop(): void {}

interface Waiter {
  cls: WorkClass;
  /** arrival order */
  seq: number;
  key: string | undefined;
  resolve: () => void;
  reject: (err: Error) => void;
}
