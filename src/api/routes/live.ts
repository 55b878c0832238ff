/**
 * The live LL-HLS origin: multivariant and media playlists (blocking reload, delta updates), the init
 * segment, parts and segments. Every request shows a listener ticket, checked by HMAC with no lookup,
 * before any media is touched. Cache headers let any HTTP cache serve the crowd (docs/edge.md).
 */
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { route, type RouteDef } from '../Route.js';
import { Id, ID_PATTERN } from '../../contract/rest.js';
import type { ListenerTicket } from '../../auth/ListenerTickets.js';
import {
  AAC_PLAYLIST,
  carryQueryParam,
  parseDeliveryDirectives,
  renderMultivariantPlaylist,
  type PartPackager,
} from '../../broadcast/index.js';
import type { Metrics } from '../../metrics/Metrics.js';
import type { ControlPlane } from '../../control/ControlPlane.js';
import { RostraError } from '../../errors/index.js';
import { holdSlot } from '../../guard/index.js';
import type { MediaPlane } from '../../media/MediaPlane.js';
import { ticketOf } from './ticketCookie.js';
import type { SpaceMedia } from '../../media/SpaceMedia.js';

const PLAYLIST_TYPE = 'application/vnd.apple.mpegurl';
const MEDIA_TYPE = 'audio/mp4';
/** Parts, segments and the init segment never change once published. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
const PART_FILE = /^part(\d{1,9})\.(\d{1,3})\.m4s$/;
const SEGMENT_FILE = /^seg(\d{1,9})\.m4s$/;
const AAC_PREFIX = 'aac-';

/**
 * A playlist asked for with `?ticket=` names every URI with `?ticket={$ticket}` (EXT-X-DEFINE QUERYPARAM),
 * so a player that cannot use the cookie (a page on another origin) carries its ticket to every request,
 * while the body stays the same for every such listener (broadcast/QueryParamUris.ts).
 */
function carryTicket(query: { ticket?: string | undefined }, playlist: string): string {
  return query.ticket === undefined ? playlist : carryQueryParam(playlist, 'ticket');
}

/**
 * Tickets this node already verified, by their text. A listener shows the same ticket on every request
 * until a heartbeat renews it, so the HMAC runs once per ticket rather than once per request (it was the
 * largest cost of a media request). Expiry, space and revocation are still checked on every request.
 * Two generations of at most `max` entries make an LRU with O(1) work and no sweeps: a hit in the older
 * one moves to the newer, and the older is dropped whole when the newer fills up.
 */
export class VerifiedTickets {
  #young = new Map<string, ListenerTicket>();
  #old = new Map<string, ListenerTicket>();
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  get(token: string): ListenerTicket | undefined {
    const young = this.#young.get(token);
    if (young) return young;
    const old = this.#old.get(token);
    if (old) this.set(token, old);
    return old;
  }

  set(token: string, ticket: ListenerTicket): void {
    this.#young.set(token, ticket);
    if (this.#young.size < this.#max) return;
    this.#old = this.#young;
    this.#young = new Map();
  }

  get size(): number {
    return this.#young.size + this.#old.size;
  }
}

/** Tickets remembered per generation (two generations: ~350 B each, ~11 MB when full). */
const VERIFIED_TICKETS = 16_384;

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

/**
 * The zod schemas above, by hand, for the media path (Route.fastParse): an object of string fields within
 * their lengths and nothing else, `id` an id. Anything else goes to the schema, which answers the error.
 */
function stringFields<T>(maxLengths: Readonly<Record<string, number>>): (raw: unknown) => T | undefined {
  return (raw) => {
    if (typeof raw !== 'object' || raw === null) return undefined;
    for (const key in raw) {
      const max = maxLengths[key];
      const value = (raw as Record<string, unknown>)[key];
      if (max === undefined || typeof value !== 'string' || value.length > max) return undefined;
      if (key === 'id' && !ID_PATTERN.test(value)) return undefined;
    }
    return raw as T;
  };
}
const fastParams = stringFields<z.infer<typeof Params>>({ id: 64 });
const fastFileParams = stringFields<z.infer<typeof FileParams>>({ id: 64, file: 64 });
const fastTicketQuery = stringFields<z.infer<typeof TicketQuery>>({ ticket: 1024 });
const fastPlaylistQuery = stringFields<z.infer<typeof PlaylistQuery>>({
  ticket: 1024,
  _HLS_msn: 12,
  _HLS_part: 6,
  _HLS_skip: 4,
});

export function liveRoutes(plane: ControlPlane, media: MediaPlane, metrics?: Metrics): RouteDef[] {
  const verified = new VerifiedTickets(VERIFIED_TICKETS);
  /** `tickets.check`, with the HMAC done once per ticket text. */
  const checkTicket = (token: string | undefined, spaceId: string): ListenerTicket | undefined => {
    const now = plane.ctx.clock.now();
    const known = token === undefined ? undefined : verified.get(token);
    if (known) {
      if (known.spaceId !== spaceId || known.expiresAt.getTime() <= now.getTime()) return undefined;
      return plane.ctx.tickets.revoked(known) ? undefined : known;
    }
    const ticket = plane.ctx.tickets.verify(token, spaceId, now);
    if (!ticket) return undefined;
    verified.set(token as string, ticket);
    return plane.ctx.tickets.revoked(ticket) ? undefined : ticket;
  };
  /** Ticket first (403 without touching media), then the space's media (created on first listener). */
  const mediaFor = async (
    request: Parameters<typeof ticketOf>[0],
    spaceId: string,
    query: { ticket?: string | undefined },
  ): Promise<SpaceMedia> => {
    const ticket = checkTicket(ticketOf(request, query), spaceId);
    if (!ticket) throw new RostraError('invalid_ticket');
    // A player fetching media is a real listener: now they count toward the node's cap (the guard).
    plane.audience.active(spaceId, ticket.listenerId);
    const existing = media.get(spaceId);
    // A backstage's media is not on the air: ensure() answers space_not_live.
    if (existing?.onAir) return existing;
    return media.ensure(await plane.spaces.get(spaceId));
  };
  // Media bytes are Buffers from publication on (PartPackager), so nothing is copied per request.
  const send = (reply: FastifyReply, type: string, cache: string, body: string | Buffer) =>
    reply.code(200).header('content-type', type).header('cache-control', cache).send(body);

  /** A rendition's media playlist, after the blocking reload its query asks for. */
  async function mediaPlaylist(
    reply: FastifyReply,
    m: SpaceMedia,
    query: z.infer<typeof PlaylistQuery>,
    rendition: (m: SpaceMedia) => PartPackager | undefined,
  ): Promise<FastifyReply> {
    const packager = rendition(m);
    if (!packager) throw new RostraError('not_found', 'This space has no such rendition (--aac off).');
    const parsed = parseDeliveryDirectives(query);
    if (!parsed.ok) throw new RostraError('bad_request', parsed.reason);
    const { directives } = parsed;
    // A reload that can be answered now takes no place among the held ones.
    const immediate = packager.decideReload(directives);
    if (immediate.kind === 'bad-request') throw new RostraError('bad_request', immediate.reason);
    if (immediate.kind === 'respond')
      return send(
        reply,
        PLAYLIST_TYPE,
        cacheFor(directives),
        playlistBody(reply, query, packager, directives.skip),
      );
    // Held reloads are capped per address and node (the guard); past the caps, the playlist as it is now,
    // never cached. A client that goes away frees its place at once.
    const slot = holdSlot(plane.ctx.guard, reply.request.ip, reply.raw);
    if (!slot)
      return send(reply, PLAYLIST_TYPE, 'no-store', playlistBody(reply, query, packager, directives.skip));
    let decision: Awaited<ReturnType<SpaceMedia['awaitReload']>>;
    try {
      decision = await m.awaitReload(directives, packager, slot.signal);
    } finally {
      slot.done();
    }
    if (decision.kind === 'bad-request') throw new RostraError('bad_request', decision.reason);
    if (decision.kind === 'timeout') {
      throw new RostraError('space_unavailable', 'The requested part did not arrive in time.', {
        retryAfter: 1,
      });
    }
    return send(
      reply,
      PLAYLIST_TYPE,
      cacheFor(directives),
      playlistBody(reply, query, packager, directives.skip),
    );
  }

  /**
   * The playlist body. With the cookie: the rendering's own Buffer, gzip-compressed for a client that
   * accepts it, both made once per change and shared by every request (a crowd's held reloads all wake
   * on the same part). `Vary` tells caches; the shipped nginx edge asks for gzip always, so it keeps one
   * entry per URL (deploy/nginx/live.conf).
   */
  function playlistBody(
    reply: FastifyReply,
    query: z.infer<typeof PlaylistQuery>,
    packager: PartPackager,
    skip: boolean,
  ): Buffer | string {
    if (query.ticket !== undefined) return carryTicket(query, packager.playlist.render({ skip }));
    const gzip = acceptsGzip(reply.request.headers['accept-encoding']);
    void reply.header('vary', 'accept-encoding');
    if (gzip) void reply.header('content-encoding', 'gzip');
    return packager.playlist.bytes({ skip, gzip });
  }

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
      fastParse: { params: fastParams, query: fastTicketQuery },
      response: {
        status: 200,
        description: 'Multivariant playlist',
        schema: z.string(),
        contentType: PLAYLIST_TYPE,
      },
      errors: ['invalid_ticket', 'space_not_found', 'space_ended', 'space_not_live'],
      handler: async ({ params, query, request, reply }) => {
        const m = await mediaFor(request, params.id, query);
        const bandwidth = plane.ctx.config.media.bitrate * 1.15; // Opus + fMP4 framing
        const aac =
          m.aac && !m.aac.failed ? { mediaUri: AAC_PLAYLIST, bandwidth: m.aac.bitrate * 1.15 } : undefined;
        const text = renderMultivariantPlaylist({
          mediaUri: 'audio.m3u8',
          bandwidth,
          ...(aac ? { aac } : {}),
        });
        return send(reply, PLAYLIST_TYPE, 'public, max-age=60', carryTicket(query, text));
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
      fastParse: { params: fastParams, query: fastPlaylistQuery },
      response: {
        status: 200,
        description: 'Media playlist',
        schema: z.string(),
        contentType: PLAYLIST_TYPE,
      },
      errors: ['invalid_ticket', 'bad_request', 'space_unavailable', 'space_ended', 'space_not_live'],
      handler: async ({ params, query, request, reply }) =>
        mediaPlaylist(reply, await mediaFor(request, params.id, query), query, (m) => m.packager),
    }),
    route({
      method: 'GET',
      url: `/live/:id/${AAC_PLAYLIST}`,
      operationId: 'liveAacMediaPlaylist',
      summary:
        "The AAC-LC rendition's LL-HLS media playlist (for native HLS on Apple devices); as audio.m3u8",
      tag: 'listening',
      auth: 'none',
      params: Params,
      query: PlaylistQuery,
      fastParse: { params: fastParams, query: fastPlaylistQuery },
      response: {
        status: 200,
        description: 'Media playlist',
        schema: z.string(),
        contentType: PLAYLIST_TYPE,
      },
      errors: [
        'invalid_ticket',
        'bad_request',
        'space_unavailable',
        'space_ended',
        'not_found',
        'space_not_live',
      ],
      handler: async ({ params, query, request, reply }) =>
        mediaPlaylist(reply, await mediaFor(request, params.id, query), query, (m) => m.aac?.packager),
    }),
    route({
      method: 'GET',
      url: '/live/:id/:file',
      operationId: 'liveMedia',
      summary:
        'The init segment (init.mp4), parts (part<msn>.<i>.m4s) and segments (seg<msn>.m4s), and the AAC ' +
        "rendition's (aac-init.mp4, aac-part…, aac-seg…); immutable",
      tag: 'listening',
      auth: 'none',
      params: FileParams,
      query: TicketQuery,
      fastParse: { params: fastFileParams, query: fastTicketQuery },
      response: { status: 200, description: 'Opus or AAC-LC in fMP4', contentType: MEDIA_TYPE },
      errors: ['invalid_ticket', 'not_found', 'space_not_live'],
      handler: async ({ params, query, request, reply }) => {
        const m = await mediaFor(request, params.id, query);
        // The AAC rendition's files are the Opus names with an `aac-` prefix (broadcast/AacRendition.ts).
        const aac = params.file.startsWith(AAC_PREFIX);
        const packager = aac ? m.aac?.packager : m.packager;
        const file = aac ? params.file.slice(AAC_PREFIX.length) : params.file;
        if (!packager) throw new RostraError('not_found', 'This space has no AAC rendition (--aac off).');
        if (file === 'init.mp4') return send(reply, MEDIA_TYPE, IMMUTABLE, packager.initSegment);
        const part = PART_FILE.exec(file);
        if (part) {
          const msn = Number(part[1]);
          const index = Number(part[2]);
          let bytes = packager.part(msn, index);
          // The preload hint names the next part before it exists: hold the request until it does.
          if (!bytes && isNextPart(packager, msn, index)) {
            const slot = holdSlot(plane.ctx.guard, request.ip, reply.raw);
            if (slot) {
              try {
                const d = await m.awaitReload({ msn, part: index }, packager, slot.signal);
                if (d.kind === 'respond') bytes = packager.part(msn, index);
              } finally {
                slot.done();
              }
            }
          }
          if (bytes) {
            const publishedMs = aac ? undefined : m.publishedAt(msn, index); // the delay metric is Opus'
            if (publishedMs !== undefined)
              metrics?.partDelay.observe(Math.max(0, Date.now() - publishedMs) / 1000);
            return send(reply, MEDIA_TYPE, IMMUTABLE, bytes);
          }
          if (msn <= packager.playlist.position.lastMsn) metrics?.outOfWindow.inc();
          throw new RostraError('not_found', 'This part is not in the live window.');
        }
        const segment = SEGMENT_FILE.exec(file);
        const bytes = segment ? packager.segment(Number(segment[1])) : undefined;
        if (bytes) return send(reply, MEDIA_TYPE, IMMUTABLE, bytes);
        if (segment && Number(segment[1]) <= packager.playlist.position.lastMsn) metrics?.outOfWindow.inc();
        throw new RostraError('not_found', 'This file is not in the live window.');
      },
    }),
  ];
}

/** Whether an Accept-Encoding header takes gzip (a `q=0` refuses it). */
export function acceptsGzip(header: string | undefined): boolean {
  if (header === undefined) return false;
  for (const item of header.split(',')) {
    const [coding, ...params] = item.split(';');
    const name = coding?.trim().toLowerCase();
    if (name !== 'gzip' && name !== '*') continue;
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  }
  return false;
}

/**
 * A blocking answer is final for its query string, so an edge may keep it for a few part lengths; the
 * plain playlist changes with every part.
 */
function cacheFor(directives: { msn?: number }): string {
  return directives.msn !== undefined ? 'public, max-age=4' : 'public, max-age=1';
}

function isNextPart(packager: PartPackager, msn: number, index: number): boolean {
  const { lastMsn, partsInProgress, ended } = packager.position;
  return !ended && msn === lastMsn + 1 && index === partsInProgress;
}
