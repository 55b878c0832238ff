/**
 * The live LL-HLS origin: multivariant and media playlists (blocking reload, delta updates), the init
 * segment, parts and segments. Every request shows a listener ticket, checked by HMAC with no lookup,
 * before any media is touched. Cache headers let any HTTP cache serve the crowd (docs/edge.md).
 */
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { route, type RouteDef } from '../Route.js';
import { Id } from '../schemas.js';
import { parseDeliveryDirectives, renderMultivariantPlaylist } from '../../broadcast/index.js';
import type { Metrics } from '../Metrics.js';
import type { ControlPlane } from '../../control/ControlPlane.js';
import { RostraError } from '../../errors/index.js';
import type { MediaPlane } from '../../media/MediaPlane.js';
import { ticketOf } from './mediaTicket.js';
import type { SpaceMedia } from '../../media/SpaceMedia.js';

const PLAYLIST_TYPE = 'application/vnd.apple.mpegurl';
const MEDIA_TYPE = 'audio/mp4';
/** Parts, segments and the init segment never change once published. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
const PART_FILE = /^part(\d{1,9})\.(\d{1,3})\.m4s$/;
const SEGMENT_FILE = /^seg(\d{1,9})\.m4s$/;

const Params = z.object({ id: Id }).strict();
const FileParams = z.object({ id: Id, file: z.string().max(64) }).strict();
const TicketQuery = z.object({ ticket: z.string().max(1024).optional() }).strict();
const PlaylistQuery = z
  .object({
    ticket: z.string().max(1024).optional(),
    _HLS_msn: z.string().max(12).optional(),
    _HLS_part: z.string().max(6).optional(),
    _HLS_skip: z.string().max(4).optional(),
  })
  .strict();

export function liveRoutes(plane: ControlPlane, media: MediaPlane, metrics?: Metrics): RouteDef[] {
  /** Ticket first (403 without touching media), then the space's media (created on first listener). */
  const mediaFor = async (
    request: Parameters<typeof ticketOf>[0],
    spaceId: string,
    query: { ticket?: string | undefined },
  ): Promise<SpaceMedia> => {
    if (!plane.ctx.tickets.check(ticketOf(request, query), spaceId, plane.ctx.clock.now()))
      throw new RostraError('invalid_ticket');
    const existing = media.get(spaceId);
    if (existing) return existing;
    return media.ensure(await plane.spaces.get(spaceId));
  };
  const send = (reply: FastifyReply, type: string, cache: string, body: string | Uint8Array) =>
    reply
      .code(200)
      .header('content-type', type)
      .header('cache-control', cache)
      .send(Buffer.isBuffer(body) || typeof body === 'string' ? body : Buffer.from(body));

  return [
    route({
      method: 'GET',
      url: '/live/:id/index.m3u8',
      operationId: 'liveMultivariant',
      summary: 'LL-HLS multivariant playlist of a live space (needs a listener ticket: cookie or ?ticket=)',
      tag: 'listening',
      auth: 'none',
      params: Params,
      query: TicketQuery,
      response: {
        status: 200,
        description: 'Multivariant playlist',
        schema: z.string(),
        contentType: PLAYLIST_TYPE,
      },
      errors: ['invalid_ticket', 'space_not_found', 'space_ended'],
      handler: async ({ params, query, request, reply }) => {
        await mediaFor(request, params.id, query);
        const bandwidth = plane.ctx.config.media.bitrate * 1.15; // Opus + fMP4 framing
        return send(
          reply,
          PLAYLIST_TYPE,
          'public, max-age=60',
          renderMultivariantPlaylist({ mediaUri: 'audio.m3u8', bandwidth }),
        );
      },
    }),
    route({
      method: 'GET',
      url: '/live/:id/audio.m3u8',
      operationId: 'liveMediaPlaylist',
      summary: 'LL-HLS media playlist; blocking reload with _HLS_msn/_HLS_part, delta updates with _HLS_skip',
      tag: 'listening',
      auth: 'none',
      params: Params,
      query: PlaylistQuery,
      response: {
        status: 200,
        description: 'Media playlist',
        schema: z.string(),
        contentType: PLAYLIST_TYPE,
      },
      errors: ['invalid_ticket', 'bad_request', 'space_unavailable', 'space_ended'],
      handler: async ({ params, query, request, reply }) => {
        const m = await mediaFor(request, params.id, query);
        const parsed = parseDeliveryDirectives(query);
        if (!parsed.ok) throw new RostraError('bad_request', parsed.reason);
        const { directives } = parsed;
        const decision = await m.awaitReload(directives);
        if (decision.kind === 'bad-request') throw new RostraError('bad_request', decision.reason);
        if (decision.kind === 'timeout') {
          throw new RostraError('space_unavailable', 'The requested part did not arrive in time.', {
            retryAfter: 1,
          });
        }
        // A blocking answer is final for its query string, so an edge may keep it for a few part lengths;
        // the plain playlist changes with every part.
        const cache = directives.msn !== undefined ? 'public, max-age=4' : 'public, max-age=1';
        return send(reply, PLAYLIST_TYPE, cache, m.packager.playlist.render({ skip: directives.skip }));
      },
    }),
    route({
      method: 'GET',
      url: '/live/:id/:file',
      operationId: 'liveMedia',
      summary:
        'The init segment (init.mp4), parts (part<msn>.<i>.m4s) and segments (seg<msn>.m4s); immutable',
      tag: 'listening',
      auth: 'none',
      params: FileParams,
      query: TicketQuery,
      response: { status: 200, description: 'Opus in fMP4', contentType: MEDIA_TYPE },
      errors: ['invalid_ticket', 'not_found'],
      handler: async ({ params, query, request, reply }) => {
        const m = await mediaFor(request, params.id, query);
        if (params.file === 'init.mp4') return send(reply, MEDIA_TYPE, IMMUTABLE, m.packager.initSegment);
        const part = PART_FILE.exec(params.file);
        if (part) {
          const msn = Number(part[1]);
          const index = Number(part[2]);
          let bytes = m.packager.part(msn, index);
          // The preload hint names the next part before it exists: hold the request until it does.
          if (!bytes && isNextPart(m, msn, index)) {
            const d = await m.awaitReload({ msn, part: index });
            if (d.kind === 'respond') bytes = m.packager.part(msn, index);
          }
          if (bytes) {
            const publishedMs = m.publishedAt(msn, index);
            if (publishedMs !== undefined)
              metrics?.partDelay.observe(Math.max(0, Date.now() - publishedMs) / 1000);
            return send(reply, MEDIA_TYPE, IMMUTABLE, bytes);
          }
          if (msn <= m.packager.playlist.position.lastMsn) metrics?.outOfWindow.inc();
          throw new RostraError('not_found', 'This part is not in the live window.');
        }
        const segment = SEGMENT_FILE.exec(params.file);
        const bytes = segment ? m.packager.segment(Number(segment[1])) : undefined;
        if (bytes) return send(reply, MEDIA_TYPE, IMMUTABLE, bytes);
        if (segment && Number(segment[1]) <= m.packager.playlist.position.lastMsn) metrics?.outOfWindow.inc();
        throw new RostraError('not_found', 'This file is not in the live window.');
      },
    }),
  ];
}

function isNextPart(m: SpaceMedia, msn: number, index: number): boolean {
  const { lastMsn, partsInProgress, ended } = m.packager.position;
  return !ended && msn === lastMsn + 1 && index === partsInProgress;
}
