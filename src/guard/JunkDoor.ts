/**
 * The junk door on node:http, in front of the framework: an address the junk meter has blocked is refused
 * before any routing, hook or body. A flood of refusals is the flood's whole cost to the node, and through
 * fastify's error path each one cost ~90 µs of CPU (measured with wrk on one core); here it is a path
 * test, a map lookup and one prepared write. Fastify's own door (GuardHttp) still stands behind it, for a
 * server without this front.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
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
    const err = rateLimited(
      { name: 'junk', limit: guard.config.junkPerIp, windowMs: JUNK_WINDOW_MS, scope: 'address' },
      waitMs,
      JUNK_MESSAGE,
    );
    const body = JSON.stringify(err.toBody());
    const headers: OutgoingHttpHeaders = {};
    if (this.#isCorsPath(path)) headers['access-control-allow-origin'] = '*';
    headers['retry-after'] = String(err.retryAfter);
    headers['cache-control'] = 'no-store';
    headers['content-type'] = 'application/json; charset=utf-8';
    headers['content-length'] = Buffer.byteLength(body);
    res.writeHead(err.status, headers);
    res.end(body);
    guard.junk.record(ip, now);
    this.#metrics.errors.inc({ code: err.code });
    this.#metrics.countRequest(req.method ?? 'GET', JUNK_DOOR_ROUTE, err.status);
    return true;
  }
}
