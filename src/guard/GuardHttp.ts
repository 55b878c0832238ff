/**
 * The guard's HTTP door. Before a route runs (and before its body is read): refuse addresses that
 * mostly send junk, and count the per-address rate limits of the routes that have them. Every refused
 * answer feeds the junk meter. Raw connections are capped per address and per node, and the server's
 * deadlines close slow and idle clients (and the guard's own, a connection that never sends a byte).
 */
import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';

import { logger } from '../log/Logger.js';
import { prefixOf, unmap } from './ClientAddress.js';
import type { Guard, GuardConfig } from './Guard.js';
import type { NewcomerLine } from './NewcomerLine.js';
import { JUNK_WINDOW_MS } from './Occupancy.js';
import { rateLimited } from './RateLimiter.js';

const log = logger('guard.http');

/** Fastify/Node server options for the deadlines (spread into `Fastify({...})`). */
export function guardServerOptions(g: GuardConfig) {
  return {
    // The whole request, headers and body, must arrive within this.
    requestTimeout: g.requestTimeoutMs,
    keepAliveTimeout: g.keepAliveTimeoutMs,
    http: {
      headersTimeout: Math.min(g.headersTimeoutMs, g.requestTimeoutMs),
      // Node looks for overdue headers and requests only this often (default 30 s: slowloris heaven).
      connectionsCheckingInterval: 1000,
    },
  };
}

/** What an address the junk meter blocked is told. */
export const JUNK_MESSAGE = 'Too many refused requests from your network. Retry later.';

/** Routes that are never refused by the junk door (and JunkDoor's EXEMPT paths, the same by path): listeners already in, and the stage. */
const EXEMPT = new Set([
  '/api/v1/spaces/:id/heartbeat',
  '/api/v1/spaces/:id/leave',
  '/api/v1/spaces/:id/whip',
  '/api/v1/spaces/:id/whip/:sessionId',
  '/live/:id/index.m3u8',
  '/live/:id/audio.m3u8',
  '/live/:id/:file',
  '/healthz',
]);
/** Refusals that say the client sent something wrong (normal 404s of the live window and 409s do not). */
const JUNK_STATUS = new Set([400, 401, 403, 405, 413, 415, 429]);

/**
 * What a new connection's first read is charged in the newcomer line: reading, parsing and the doors
 * before the request line (the junk door, the media fast path) cost ~0.05–0.25 ms a connection in the
 * flood bench's profile (1 Dec), so ~20 new connections are let in per loop turn while others wait.
 */
const CONNECTION_CHARGE_MS = 0.1;

/**
 * A new connection is read in its turn. A flood that opens a thousand connections at once had their
 * first requests read and parsed in the same poll phase as every listener's next part request, and the
 * parts waited behind them (the flood bench's late parts all fell in the attack's first 2 s). Unread,
 * they wait in the newcomer line instead; on a quiet node that is one turn. When the line is full (or
 * closed) the connection is read at once, and its first request is refused there (NewcomerDoor).
 */
function readInTurn(line: NewcomerLine, socket: Socket): void {
  const entered = line.enter(() => {
    if (!socket.destroyed) socket.resume();
  }, CONNECTION_CHARGE_MS);
  if (!entered) socket.resume();
}

export function installHttpGuard(app: FastifyInstance, guard: Guard): void {
  const r = guard.rules;

  const silentMs = Math.min(guard.config.headersTimeoutMs, guard.config.requestTimeoutMs);
  // New connections are accepted unread (net.Server's pauseOnConnect, which node:http inherits) and read
  // in their turn in the newcomer line: see readInTurn.
  Object.assign(app.server, { pauseOnConnect: true });
  app.server.on('connection', (socket: Socket) => {
    // Node's headers deadline starts at the first byte: a connection that never sends one would stay open
    // for ever (measured), so it gets the same deadline here.
    const silent = setTimeout(() => {
      if (socket.bytesRead === 0) socket.destroy();
    }, silentMs).unref();
    socket.once('close', () => clearTimeout(silent));
    const ip = unmap(socket.remoteAddress ?? '');
    // A trusted proxy's connections are many people's: limit them per person, by request, instead. They
    // are few and long-lived, and read at once.
    if (guard.address.isTrusted(ip)) return void socket.resume();
    const release = guard.connections.enter(ip);
    if (!release) {
      socket.destroy();
      return;
    }
    socket.once('close', release);
    readInTurn(guard.newcomers, socket);
  });

  let warnedProxy = false;
  app.addHook('onRequest', async (request: FastifyRequest) => {
    const route = request.routeOptions.url;
    const ip = request.ip;
    // Behind a proxy that is not trusted, every client has the proxy's address and shares its limits.
    if (
      !warnedProxy &&
      request.headers['x-forwarded-for'] !== undefined &&
      ip === unmap(request.socket.remoteAddress ?? '')
    ) {
      warnedProxy = true;
      log.warn(
        { proxy: ip },
        'X-Forwarded-For from an untrusted peer ignored: set --trusted-proxies, or every client shares its limits',
      );
    }
    if (route === undefined || !EXEMPT.has(route)) {
      const waitMs = guard.junk.blockedFor(ip, Date.now());
      if (waitMs > 0) {
        throw rateLimited(
          { name: 'junk', limit: guard.config.junkPerIp, windowMs: JUNK_WINDOW_MS, scope: 'address' },
          waitMs,
          JUNK_MESSAGE,
        );
      }
    }
    if (request.method !== 'POST') return;
    switch (route) {
      case '/api/v1/spaces/:id/listen':
        return guard.limits.take([r.joinIp, ip], [r.joinNet, prefixOf(ip)]);
      case '/api/v1/auth/signup':
        await guard.limits.take([r.signUpIp, ip], [r.signUpNet, prefixOf(ip)]);
        return guard.checkSignUpPressure();
      case '/api/v1/spaces/:id/whip':
        return guard.limits.take([r.whipIp, ip]);
      case '/api/v1/spaces/:id/reactions':
        return guard.limits.take([r.reactIp, ip]);
      default:
        return;
    }
  });

  app.addHook('onResponse', async (request, reply) => {
    // The web app's catch-all (`/*`) matches every unknown GET: only its HTML page for a browser is a
    // route's answer; its coded `route_not_found` for machine paths is as unmatched as any other 404.
    const url = request.routeOptions.url;
    const matched =
      url !== undefined && (url !== '/*' || String(reply.getHeader('content-type')).startsWith('text/html'));
    if (isJunkAnswer(reply.statusCode, matched)) guard.refused(request.ip, request.raw, Date.now());
    else guard.lane.good(request.raw.socket);
  });
}

/** Whether an answer counts on the junk meter (shared with api/MediaFastPath.ts, which answers without hooks). */
export function isJunkAnswer(status: number, routeMatched: boolean): boolean {
  return JUNK_STATUS.has(status) || (status === 404 && !routeMatched);
}
