/**
 * The newcomer line's door on node:http, after the junk door and the media fast path: a request on a
 * connection that has had no good answer yet waits its turn in the newcomer line (NewcomerLine) before
 * fastify sees it; past the line's cap it is refused at once, 503 with Retry-After.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { prepareAnswer, RostraError, type PreparedAnswer } from '../errors/index.js';
import type { Metrics } from '../metrics/Metrics.js';
import type { Guard } from './Guard.js';
import { ASYNC_WORK_CHARGE_MS } from './NewcomerLine.js';

/** The route label the refusals are counted under in the request metrics (they never reach a route). */
export const NEWCOMER_DOOR_ROUTE = '(newcomer line)';

/** What a newcomer is told when the line is full (requests here, WebSocket upgrades in WsDoor). */
export const NEWCOMER_LINE_FULL = new RostraError(
  'server_busy',
  'Too many new connections waiting; retry shortly.',
  { retryAfter: 5, details: { reason: 'server_busy', limit: 'newcomers', scope: 'node' } },
);

export class NewcomerDoor {
  readonly #guard: Guard;
  readonly #metrics: Metrics;
  readonly #isCorsPath: (path: string) => boolean;
  readonly #full: PreparedAnswer = prepareAnswer(NEWCOMER_LINE_FULL, false);
  readonly #fullCors: PreparedAnswer = prepareAnswer(NEWCOMER_LINE_FULL, true);

  constructor(guard: Guard, metrics: Metrics, isCorsPath: (path: string) => boolean) {
    this.#guard = guard;
    this.#metrics = metrics;
    this.#isCorsPath = isCorsPath;
  }

  /**
   * Takes the request (true) when its connection is new: `next` answers it in its turn, or it is refused
   * now. A connection that has had a good answer passes (false).
   */
  hold(
    req: IncomingMessage,
    res: ServerResponse,
    next: (req: IncomingMessage, res: ServerResponse) => void,
  ): boolean {
    const socket = req.socket;
    if (this.#guard.lane.known(socket)) return false;
    const entered = this.#guard.newcomers.enter(() => {
      if (!res.destroyed && !socket.destroyed) next(req, res); // nobody to answer if the client left
    }, ASYNC_WORK_CHARGE_MS);
    if (entered) return true;
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const r = this.#isCorsPath(q < 0 ? url : url.slice(0, q)) ? this.#fullCors : this.#full;
    res.writeHead(r.status, r.headers);
    res.end(r.body);
    this.#metrics.errors.inc(r.label);
    this.#metrics.countRequest(req.method ?? 'GET', NEWCOMER_DOOR_ROUTE, r.status);
    return true;
  }
}
