/**
 * Sign-in limits that nobody else can trip for you: failures are counted per (handle, client address)
 * and per address, never per handle alone, and a successful sign-in counts nothing. A stranger guessing
 * at your handle from elsewhere slows only themselves.
 */
import type { Counters } from '../bus/Bus.js';
import { RostraError } from '../errors/index.js';

const WINDOW_MS = 15 * 60_000;

export interface SignInLimits {
  signInFailuresPerClient: number;
  signInFailuresPerIp: number;
}

export class SignInGuard {
  readonly #counters: Counters;
  readonly #limits: SignInLimits;
  /** Sign-ins being hashed now, per address (this node): a storm's first guesses are not "clean". */
  readonly #inFlight = new Map<string, number>();

  constructor(counters: Counters, limits: SignInLimits) {
    this.#counters = counters;
    this.#limits = limits;
  }

  /**
   * Before hashing: refuses a client whose failures are used up (429 `too_many_attempts`). Returns
   * whether the address has a clean record (no failures in the window): it goes first for hashing.
   */
  async assertMayTry(handle: string, ip: string): Promise<{ clean: boolean }> {
    const [pair, byIp] = await Promise.all([
      this.#counters.peek(pairKey(handle, ip)),
      this.#counters.peek(ipKey(ip)),
    ]);
    const over = [
      pair.count >= this.#limits.signInFailuresPerClient ? pair.resetInMs : 0,
      byIp.count >= this.#limits.signInFailuresPerIp ? byIp.resetInMs : 0,
    ];
    const waitMs = Math.max(...over);
    if (waitMs > 0) {
      throw new RostraError('too_many_attempts', 'Too many failed sign-ins from here. Retry later.', {
        retryAfter: Math.max(1, Math.ceil(waitMs / 1000)),
        details: { reason: 'too_many_attempts' },
      });
    }
    return { clean: byIp.count === 0 };
  }

  /**
   * Runs the password check for `ip`; `clean` (from `assertMayTry`) holds only if no other sign-in from
   * the address is being checked, so a storm gets at most one head-of-line place per address at a time.
   */
  async checking<T>(ip: string, clean: boolean, job: (first: boolean) => Promise<T>): Promise<T> {
    const before = this.#inFlight.get(ip) ?? 0;
    this.#inFlight.set(ip, before + 1);
    try {
      return await job(clean && before === 0);
    } finally {
      const left = (this.#inFlight.get(ip) ?? 1) - 1;
      if (left <= 0) this.#inFlight.delete(ip);
      else this.#inFlight.set(ip, left);
    }
  }

  async failed(handle: string, ip: string): Promise<void> {
    await Promise.all([
      this.#counters.take(pairKey(handle, ip), WINDOW_MS),
      this.#counters.take(ipKey(ip), WINDOW_MS),
    ]);
  }
}

const pairKey = (handle: string, ip: string) => `g:signin-fail:${handle.toLowerCase()}:${ip}`;
const ipKey = (ip: string) => `g:signin-fail-ip:${ip}`;
