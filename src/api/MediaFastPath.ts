/**
 * The live media routes' common case, answered on node:http in front of fastify. A listener's GET of a
 * playlist, part, segment or init segment is a URL split, the ticket check and `writeHead` + `end` here,
 * with the same answer (LiveOrigin makes it for both paths). Fastify's routing, hooks and reply machinery
 * cost 8-15 µs more a request (measured with wrk on one core: ~30 µs here, 34-46 µs through fastify).
 *
 * It answers only what it can answer exactly as fastify would: GET or HEAD of /live/{id}/{file} with
 * plain URL characters, a query of the route's own keys once each (nothing to decode), no request body
 * type, and the space's media on the air on this node; a good ticket is answered, a bad one refused as
 * the route refuses it. Anything else (an odd query, a preflight, a space owned elsewhere) goes to
 * fastify untouched, which answers it as before. What fastify's hooks do for these routes, it does too: the CORS header, the guard (held-request caps,
 * the junk meter, the address behind a trusted proxy; the connection caps are the server's own), and the
 * request metrics.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { ID_PATTERN, TICKET_COOKIE } from '../contract/rest.js';
import { isJunkAnswer, readCookie, type Guard } from '../guard/index.js';
import { logger } from '../log/Logger.js';
import type { Metrics } from '../metrics/Metrics.js';
import { AAC_PLAYLIST } from '../broadcast/index.js';
import { prepareAnswer, RostraError, type PreparedAnswer } from '../errors/index.js';
import { toRostraError } from './HttpErrors.js';
import {
  FILE_MAX,
  LIVE_URLS,
  PLAYLIST_QUERY,
  TICKET_QUERY,
  type LiveOrigin,
  type MediaAnswer,
  type MediaClient,
  type PlaylistQueryValue,
} from './routes/live.js';

const log = logger('api.media-fast-path');

const PREFIX = '/live/';
/** A file name fastify would pass to the route as it is (no percent-decoding to do). */
const PLAIN_FILE = new RegExp(`^[A-Za-z0-9._-]{1,${FILE_MAX}}$`);
/** A query value fastify's parser would pass as it is (nothing to decode). */
const PLAIN_VALUE = /^[A-Za-z0-9._~-]*$/;

type Kind = 'multivariant' | 'opus' | 'aac' | 'file';

export interface MediaFastPathOptions {
  readonly origin: LiveOrigin;
  /** Whether this node runs the space's media now; if not, fastify's owner proxy forwards the request. */
  readonly runsHere: (spaceId: string) => boolean;
  readonly guard: Guard;
  readonly metrics: Metrics;
}

export class MediaFastPath {
  readonly #origin: LiveOrigin;
  readonly #runsHere: (spaceId: string) => boolean;
  readonly #guard: Guard;
  readonly #metrics: Metrics;
  #answered = 0;

  constructor(opts: MediaFastPathOptions) {
    this.#origin = opts.origin;
    this.#runsHere = opts.runsHere;
    this.#guard = opts.guard;
    this.#metrics = opts.metrics;
  }

  /** Requests this path took (answered or being answered): how tests know it was not fastify. */
  get answered(): number {
    return this.#answered;
  }

  /** Takes the request and answers it (true), or leaves it untouched for fastify (false). */
  serve(req: IncomingMessage, res: ServerResponse): boolean {
    const method = req.method;
    if (method !== 'GET' && method !== 'HEAD') return false;
    const url = req.url ?? '';
    if (!url.startsWith(PREFIX)) return false;
    const started = performance.now();
    const headers = req.headers;
    // A body type is fastify's to refuse (images, before reading them); an X-Forwarded-For from a peer
    // that is not a trusted proxy is fastify's to warn about (GuardHttp).
    if (headers['content-type'] !== undefined) return false;
    const socketIp = req.socket.remoteAddress ?? '';
    const trusted = this.#guard.address.isTrusted(socketIp);
    if (!trusted && headers['x-forwarded-for'] !== undefined) return false;

    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const slash = path.indexOf('/', PREFIX.length);
    if (slash < 0) return false;
    const spaceId = path.slice(PREFIX.length, slash);
    const file = path.slice(slash + 1);
    if (!ID_PATTERN.test(spaceId) || !PLAIN_FILE.test(file)) return false;
    const kind: Kind =
      file === 'index.m3u8'
        ? 'multivariant'
        : file === 'audio.m3u8'
          ? 'opus'
          : file === AAC_PLAYLIST
            ? 'aac'
            : 'file';
    const keys = kind === 'opus' || kind === 'aac' ? PLAYLIST_QUERY : TICKET_QUERY;
    const query: PlaylistQueryValue | undefined = q < 0 ? {} : parseQuery(url, q + 1, keys);
    if (!query) return false;
    // The owner proxy's rule: a space whose media runs elsewhere (or nowhere yet) is fastify's.
    if (!this.#runsHere(spaceId)) return false;
    const m = this.#origin.onAir(spaceId, query.ticket ?? readCookie(headers.cookie, TICKET_COOKIE));
    if (!m) return false;

    this.#answered++;
    // Fastify's request.ip: the socket's address, or behind a trusted proxy the client's (ClientAddress).
    const ip = trusted ? this.#guard.address.of(req) : socketIp;
    if (m === 'invalid_ticket') {
      // Forged and stale tickets are a flood's commonest junk (the media path is never shut by the junk
      // door): refused here as the route refuses them, without fastify's cost per request.
      this.#refuse(req, res, kind, ip, started, INVALID_TICKET);
      return true;
    }
    const client: MediaClient = { ip, response: res, acceptEncoding: headers['accept-encoding'] };
    // Whatever goes wrong is answered here, as fastify's error handler would: nothing may throw out of a
    // server's request listener. No named closure per request: tsx's keepNames would name each one.
    try {
      const answer =
        kind === 'multivariant'
          ? this.#origin.multivariant(m, query)
          : kind === 'file'
            ? this.#origin.file(m, file, client)
            : this.#origin.mediaPlaylist(m, kind === 'aac', query, client);
      if (!(answer instanceof Promise)) this.#send(req, res, kind, started, answer);
      else
        answer
          .then((a) => this.#send(req, res, kind, started, a))
          .catch((err: unknown) => this.#fail(req, res, kind, client.ip, started, err));
    } catch (err) {
      this.#fail(req, res, kind, client.ip, started, err);
    }
    return true;
  }

  /** The answer, headers as fastify sends them: the CORS hook's first, then the route's, then the length. */
  #send(req: IncomingMessage, res: ServerResponse, kind: Kind, started: number, a: MediaAnswer): void {
    if (res.destroyed) return; // the client went away while held: nobody to answer
    const headers: OutgoingHttpHeaders = { 'access-control-allow-origin': '*' };
    if (a.gzip !== undefined) {
      headers.vary = 'accept-encoding';
      if (a.gzip) headers['content-encoding'] = 'gzip';
    }
    headers['content-type'] = a.type;
    headers['cache-control'] = a.cache;
    headers['content-length'] = typeof a.body === 'string' ? Buffer.byteLength(a.body) : a.body.length;
    res.writeHead(200, headers);
    res.end(a.body); // a HEAD request's body is left out by node
    this.#guard.lane.good(req.socket);
    this.#count(req, kind, 200, started);
  }

  /** A coded error, as HttpServer's error handler sends it, and the guard's junk meter counts it. */
  #fail(
    req: IncomingMessage,
    res: ServerResponse,
    kind: Kind,
    ip: string,
    started: number,
    err: unknown,
  ): void {
    const coded = toRostraError(err);
    if (coded.code === 'internal') log.error({ err, url: req.url, method: req.method }, 'request failed');
    this.#refuse(req, res, kind, ip, started, prepareAnswer(coded, true));
  }

  #refuse(
    req: IncomingMessage,
    res: ServerResponse,
    kind: Kind,
    ip: string,
    started: number,
    r: PreparedAnswer,
  ): void {
    if (res.destroyed) return;
    if (res.headersSent) {
      res.destroy(); // failed halfway through an answer: the client must not take it for whole
      return;
    }
    this.#metrics.errors.inc(r.label);
    res.writeHead(r.status, r.headers);
    res.end(r.body);
    if (isJunkAnswer(r.status, true)) this.#guard.refused(ip, req, Date.now());
    this.#count(req, kind, r.status, started);
  }

  #count(req: IncomingMessage, kind: Kind, status: number, started: number): void {
    const route = LIVE_URLS[kind];
    this.#metrics.countRequest(req.method as string, route, status);
    this.#metrics.observeDuration(route, (performance.now() - started) / 1000);
  }
}

/**
 * A bad ticket's answer, made once: it is a flood's commonest junk here, and the same bytes every time.
 */
const INVALID_TICKET = prepareAnswer(new RostraError('invalid_ticket'), true);

/**
 * The query when it is plainly one the route takes: its own keys, each once, with values within their
 * lengths and nothing to decode. Anything else: undefined, and fastify parses it (and answers its error).
 */
function parseQuery(
  url: string,
  from: number,
  maxLengths: Readonly<Record<string, number>>,
): PlaylistQueryValue | undefined {
  const out: Record<string, string> = {};
  let i = from;
  while (i <= url.length) {
    let end = url.indexOf('&', i);
    if (end < 0) end = url.length;
    const eq = url.indexOf('=', i);
    if (eq < 0 || eq > end) return undefined;
    const key = url.slice(i, eq);
    const max = Object.hasOwn(maxLengths, key) ? maxLengths[key] : undefined;
    if (max === undefined || Object.hasOwn(out, key)) return undefined;
    const value = url.slice(eq + 1, end);
    if (value.length > max || !PLAIN_VALUE.test(value)) return undefined;
    out[key] = value;
    i = end + 1;
  }
  return out;
}
