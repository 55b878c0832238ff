/**
 * Cross-origin listening: a page on any site may play a space (docs/embed.md). CORS is open (`*`, never
 * with credentials) on exactly what a player needs: the media under /live/ and /replay/, the public space
 * view, and the listener's join path (listen, heartbeat, leave), including their preflights. A page on
 * another origin cannot use the ticket cookie, so it sends `?ticket=` (the playlists then carry it to every
 * URI: broadcast/QueryParamUris.ts). Nothing signed in is reachable this way: no Authorization header is
 * allowed, and the answers vary by nothing a cookie could carry.
 */
import type { FastifyInstance } from 'fastify';

/** The CORS paths by prefix: every request is checked, so a plain prefix test comes before any regex. */
const CORS_PATHS: readonly (readonly [prefix: string, path: RegExp])[] = [
  ['/live/', /^\/live\/[A-Za-z0-9_-]+\//],
  ['/replay/', /^\/replay\/[A-Za-z0-9_-]+\//],
  ['/api/v1/spaces/', /^\/api\/v1\/spaces\/[A-Za-z0-9_-]+(?:\/(?:listen|heartbeat|leave|replay))?$/],
];

/** Seconds a browser may reuse a preflight answer. */
const PREFLIGHT_MAX_AGE = 86_400;

export function isCorsPath(path: string): boolean {
  for (const [prefix, re] of CORS_PATHS) if (path.startsWith(prefix)) return re.test(path);
  return false;
}

export function installCors(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    const url = request.url;
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    if (!isCorsPath(path)) return;
    void reply.header('access-control-allow-origin', '*');
    if (request.method !== 'OPTIONS') return;
    return reply
      .code(204)
      .header('access-control-allow-methods', 'GET, POST, OPTIONS')
      .header('access-control-allow-headers', 'content-type')
      .header('access-control-max-age', String(PREFLIGHT_MAX_AGE))
      .header('cache-control', `public, max-age=${PREFLIGHT_MAX_AGE}`)
      .send();
  });
}
