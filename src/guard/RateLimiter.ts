/**
 * Named rate limits counted in the Bus, so a limit holds across every node (Redis) or in the one process
 * (memory). Fixed windows: one INCR per check, and the window's end is the Retry-After.
 */
import type { Counters } from '../bus/Bus.js';
import { RostraError } from '../errors/index.js';

export interface RateRule {
  /** Part of the key, and of the refusal's details. */
  readonly name: string;
  readonly limit: number;
  readonly windowMs: number;
  /** Who the limit is about, for the client's message: an address, a network, an account. */
  readonly scope: 'address' | 'network' | 'account';
}

export class RateLimiter {
  readonly #counters: Counters;

  constructor(counters: Counters) {
    this.#counters = counters;
  }

  /** Counts one hit against each (rule, key); throws 429 `rate_limited` if any is over its limit. */
  async take(...checks: (readonly [RateRule, string])[]): Promise<void> {
    const windows = await Promise.all(
      checks.map(([rule, key]) => this.#counters.take(`g:${rule.name}:${key}`, rule.windowMs)),
    );
    let worst: { rule: RateRule; resetInMs: number } | undefined;
    for (let i = 0; i < checks.length; i++) {
      const rule = (checks[i] as readonly [RateRule, string])[0];
      const w = windows[i] as { count: number; resetInMs: number };
      if (w.count > rule.limit && (!worst || w.resetInMs > worst.resetInMs))
        worst = { rule, resetInMs: w.resetInMs };
    }
    if (worst) throw rateLimited(worst.rule, worst.resetInMs);
  }
}

export function rateLimited(rule: RateRule, resetInMs: number, message?: string): RostraError {
  const text =
    message ??
    (rule.scope === 'account'
      ? 'Too many requests from your account. Retry later.'
      : 'Too many requests from your network. Retry later.');
  return new RostraError('rate_limited', text, {
    retryAfter: Math.max(1, Math.ceil(resetInMs / 1000)),
    details: { reason: 'rate_limited', limit: rule.name, scope: rule.scope },
  });
}
