/**
 * The junk door on node:http, in front of the framework: an address the junk meter has blocked is refused
 * before any routing, hook or body. A flood of refusals is the flood's whole cost to the node, and through
 * fastify's error path each one cost ~90 µs of CPU (measured with wrk on one core); here it is a path
 * test, a map lookup and one prepared write. Fastify's own door (GuardHttp) still stands behind it, for a
 * server without this front.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { prepareAnswer, type PreparedAnswer } from '../errors/index.js';
import type { Metrics } from '../metrics/Metrics.js';
import type { Guard } from './Guard.js';
import { JUNK_MESSAGE } from './GuardHttp.js';
import { JUNK_WINDOW_MS } from './Occupancy.js';
import { rateLimited } from './RateLimiter.js';

/** The route label the refusals are counted under in the request metrics (they never reach a route). */
export const JUNK_DOOR_ROUTE = '(junk door)';

/**
 * Paths never refused by the junk door (GuardHttp's EXEMPT routes): listeners already in and the stage.
 * A path that only looks like one of them (a bad id) is fastify's to refuse, by the same rule there.
 */
const EXEMPT = /^\/(?:live\/|healthz$|api\/v1\/spaces\/[^/]+\/(?:heartbeat|leave|whip(?:\/[^/]+)?)$)/;

export class JunkDoor {
  readonly #guard: Guard;
  readonly #metrics: Metrics;
  readonly #isCorsPath: (path: string) => boolean;
  /** By Retry-After seconds, negative when with the CORS header (see #refusal). */
  readonly #refusals = new Map<number, PreparedAnswer>();

  constructor(guard: Guard, metrics: Metrics, isCorsPath: (path: string) => boolean) {
    this.#guard = guard;
    this.#metrics = metrics;
    this.#isCorsPath = isCorsPath;
  }

  /** Answers 429 and returns true when the request's address is blocked and its path is not exempt. */
  refuse(req: IncomingMessage, res: ServerResponse): boolean {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    if (EXEMPT.test(path)) return false;
    const guard = this.#guard;
    const ip = guard.address.of(req);
    const now = Date.now();
    const waitMs = guard.junk.blockedFor(ip, now);
    if (waitMs <= 0) return false;
    const r = this.#refusal(Math.max(1, Math.ceil(waitMs / 1000)), this.#isCorsPath(path));
    res.writeHead(r.status, r.headers);
    res.end(r.body);
    guard.refused(ip, req, now);
    this.#metrics.errors.inc(r.label);
    this.#metrics.countRequest(req.method ?? 'GET', JUNK_DOOR_ROUTE, r.status);
    return true;
  }

  /**
   * The 429 for a wait of `retryAfter` seconds, made once per wait and CORS or not (a few dozen at most:
   * the wait is within the junk window): a flood's refusals are the same bytes over and over.
   */
  #refusal(retryAfter: number, cors: boolean): PreparedAnswer {
    const key = cors ? -retryAfter : retryAfter;
    const known = this.#refusals.get(key);
    if (known) return known;
    const err = rateLimited(
      { name: 'junk', limit: this.#guard.config.junkPerIp, windowMs: JUNK_WINDOW_MS, scope: 'address' },
      retryAfter * 1000,
      JUNK_MESSAGE,
    );
    const r = prepareAnswer(err, cors);
    this.#refusals.set(key, r);
    return r;
  }
}
