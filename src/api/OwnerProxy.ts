/**
 * Any node answers any media request: `/live/{id}/…`, `/replay/{id}/…` and WHIP for a space whose media
 * runs on another node are forwarded to that node (its internal URL, from the space's lease), and its
 * answer is passed back as it is: status, headers (cache-control included) and body, streamed. A blocking
 * playlist reload is held on the owner as long as the owner holds it. The playlist URL stays the same for
 * every listener, whichever node or edge they reach.
 *
 * WHIP is proxied rather than redirected (RFC 9725 allows either): behind a load balancer every node has
 * the same public URL, so a 307 would go back through the balancer, and a browser drops `Authorization`
 * on a cross-origin redirect. The media itself goes straight to the owner: its SDP answer names the
 * owner's announced address.
 *
 * A forwarded request carries `x-rostra-proxied`; a node never forwards such a request again, so a loop
 * is impossible: a node that receives one for a space it does not own answers 503 `not_owner`.
 */
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { RostraError } from '../errors/index.js';
import { logger } from '../log/Logger.js';
import type { MediaOwner, MediaOwnership } from '../media/MediaOwnership.js';

const log = logger('api.owner-proxy');

export const PROXIED_HEADER = 'x-rostra-proxied';

/** The space of a media request: live, replay, or WHIP (publish, stop). */
const MEDIA_PATH =
  /^\/(?:live|replay)\/([A-Za-z0-9_-]{1,64})\/|^\/api\/v1\/spaces\/([A-Za-z0-9_-]{1,64})\/whip(?:[/?]|$)/;
/** Making a clip of a live space reads its recording, which is on the owner's disk (recording/Clips.ts). */
const CLIP_PATH = /^\/api\/v1\/spaces\/([A-Za-z0-9_-]{1,64})\/clips(?:[/?]|$)/;

/** Hop-by-hop headers (RFC 9110 7.6.1) are not forwarded either way. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'host',
]);

export interface OwnerProxyOptions {
  readonly ownership: MediaOwnership;
  /** Whether this node runs the space's media now. */
  readonly runsHere: (spaceId: string) => boolean;
  /** The owner must answer (headers) within this long (config `cluster.ownerTimeoutMs`). */
  readonly timeoutMs: number;
}

export function registerOwnerProxy(app: FastifyInstance, opts: OwnerProxyOptions): void {
  const agent = new Agent({ keepAlive: true, maxSockets: 512 });
  app.addHook('onClose', async () => agent.destroy());
  app.addHook('onRequest', async (request, reply) => {
    const match =
      MEDIA_PATH.exec(request.url) ?? (request.method === 'POST' ? CLIP_PATH.exec(request.url) : null);
    if (!match) return;
    const spaceId = (match[1] ?? match[2]) as string;
    // Forwarded once already: answer here, whatever happens (the route refuses with not_owner if need be).
    if (request.headers[PROXIED_HEADER] !== undefined) return;
    if (opts.runsHere(spaceId)) return;
    const owner = await opts.ownership.owner(spaceId);
    if (!owner || owner.self) return; // nobody runs it: this node may take it (the route decides)
    return forward(request, reply, owner, { ...opts, agent, spaceId });
  });
}

function forward(
  request: FastifyRequest,
  reply: FastifyReply,
  owner: MediaOwner,
  ctx: OwnerProxyOptions & { agent: Agent; spaceId: string },
): Promise<FastifyReply> {
  const target = new URL(request.url, `${owner.url}/`);
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
  }
  headers[PROXIED_HEADER] = ctx.ownership.nodeId;
  const forwardedFor = request.headers['x-forwarded-for'];
  headers['x-forwarded-for'] = forwardedFor ? `${String(forwardedFor)}, ${request.ip}` : request.ip;
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (err: RostraError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ctx.ownership.forget(ctx.spaceId);
      upstream.destroy();
      reject(err);
    };
    const upstream = httpRequest(target, { method: request.method, headers, agent: ctx.agent });
    const timer = setTimeout(
      () =>
        fail(
          new RostraError('owner_timeout', undefined, {
            retryAfter: 1,
            details: { spaceId: ctx.spaceId, afterMs: ctx.timeoutMs },
          }),
        ),
      ctx.timeoutMs,
    );
    upstream.on('error', (err) => {
      log.warn({ err, spaceId: ctx.spaceId, owner: owner.url }, 'the owner of a space could not be reached');
      fail(
        new RostraError('owner_unreachable', undefined, { retryAfter: 1, details: { spaceId: ctx.spaceId } }),
      );
    });
    upstream.on('response', (res) => {
      if (settled) {
        res.resume();
        return;
      }
      settled = true;
      clearTimeout(timer);
      // The owner lost the space, or is on its way out: look the owner up again for the next request.
      if (res.statusCode === 503 || res.statusCode === 502) ctx.ownership.forget(ctx.spaceId);
      void reply.code(res.statusCode ?? 502).headers(passBack(res.headers));
      resolve(reply.send(res));
    });
    // The body (a WHIP offer) has not been read yet: stream it through. Aborted by the client: stop too.
    request.raw.pipe(upstream);
    request.raw.on('aborted', () => upstream.destroy());
  });
}

function passBack(headers: IncomingHttpHeaders): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !HOP_BY_HOP.has(name) && name !== 'content-length') out[name] = value;
  }
  if (headers['content-length'] !== undefined) out['content-length'] = headers['content-length'];
  return out;
}
