/**
 * The live LL-HLS origin: multivariant and media playlists (blocking reload, delta updates), the init
 * segment, parts and segments. Every request shows a listener ticket, checked by HMAC with no lookup,
 * before any media is touched. Cache headers let any HTTP cache serve the crowd (docs/edge.md).
 * `LiveOrigin` makes the answers; the fastify routes here and the fast path (api/MediaFastPath.ts) send them.
 */
import type { ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
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
import { holdSlot, type HeldSlot } from '../../guard/index.js';
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

/** The live routes (fastify syntax), as metrics and the guard name them. */
export const LIVE_URLS = {
  multivariant: '/live/:id/index.m3u8',
  opus: '/live/:id/audio.m3u8',
  aac: `/live/:id/${AAC_PLAYLIST}`,
  file: '/live/:id/:file',
} as const;

/** The longest file name and query values the routes take (the fast path takes no more). */
export const FILE_MAX = 64;
export const TICKET_QUERY = { ticket: 1024 } as const;
export const PLAYLIST_QUERY = { ...TICKET_QUERY, _HLS_msn: 12, _HLS_part: 6, _HLS_skip: 4 } as const;
const optionalUpTo = (n: number) => z.string().max(n).optional();

const Params = z.object({ id: Id }).strict();
const FileParams = z.object({ id: Id, file: z.string().max(FILE_MAX) }).strict();
const TicketQuery = z.object({ ticket: optionalUpTo(TICKET_QUERY.ticket) }).strict();
const PlaylistQuery = z
  .object({
    ticket: optionalUpTo(PLAYLIST_QUERY.ticket),
    _HLS_msn: optionalUpTo(PLAYLIST_QUERY._HLS_msn),
    _HLS_part: optionalUpTo(PLAYLIST_QUERY._HLS_part),
    _HLS_skip: optionalUpTo(PLAYLIST_QUERY._HLS_skip),
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
const fastFileParams = stringFields<z.infer<typeof FileParams>>({ id: 64, file: FILE_MAX });
const fastTicketQuery = stringFields<z.infer<typeof TicketQuery>>(TICKET_QUERY);
const fastPlaylistQuery = stringFields<z.infer<typeof PlaylistQuery>>(PLAYLIST_QUERY);

/** A media request's success, as both the fastify routes and the fast path (api/MediaFastPath.ts) send it. */
export interface MediaAnswer {
  readonly type: string;
  readonly cache: string;
  readonly body: Buffer | string;
  /** Set on a playlist picked by Accept-Encoding (the cookie's): sent with `vary`, and compressed when true. */
  readonly gzip?: boolean;
}

/** Who asks, as far as the answer depends on it: held requests are capped per address and freed on close. */
export interface MediaClient {
  readonly ip: string;
  readonly response: ServerResponse;
  readonly acceptEncoding: string | undefined;
}

export type PlaylistQueryValue = z.infer<typeof PlaylistQuery>;
export type TicketQueryValue = z.infer<typeof TicketQuery>;

/**
 * What the live origin answers, apart from HTTP: the ticket check and each file's answer. The fastify
 * routes below and the fast path share it, so the two cannot answer differently.
 */
export class LiveOrigin {
  readonly #plane: ControlPlane;
  readonly #media: MediaPlane;
  readonly #metrics: Metrics | undefined;
  readonly #verified = new VerifiedTickets(VERIFIED_TICKETS);

  constructor(plane: ControlPlane, media: MediaPlane, metrics?: Metrics) {
    this.#plane = plane;
    this.#media = media;
    this.#metrics = metrics;
  }

  /**
   * The space's media when the ticket is good and the media is on the air on this node now; otherwise
   * undefined, and the route (mediaFor) says why. Never creates media.
   */
  onAir(spaceId: string, token: string | undefined): SpaceMedia | 'invalid_ticket' | undefined {
    const ticket = this.#checkTicket(token, spaceId);
    if (!ticket) return 'invalid_ticket'; // the route's first answer too (mediaFor)
    this.#plane.audience.active(spaceId, ticket.listenerId);
    const m = this.#media.get(spaceId);
    return m?.onAir ? m : undefined;
  }

  /** Ticket first (403 without touching media), then the space's media (created on first listener). */
  async mediaFor(spaceId: string, token: string | undefined): Promise<SpaceMedia> {
    const ticket = this.#checkTicket(token, spaceId);
    if (!ticket) throw new RostraError('invalid_ticket');
    // A player fetching media is a real listener: now they count toward the node's cap (the guard).
    this.#plane.audience.active(spaceId, ticket.listenerId);
    const existing = this.#media.get(spaceId);
    // A backstage's media is not on the air: ensure() answers space_not_live.
    if (existing?.onAir) return existing;
    return this.#media.ensure(await this.#plane.spaces.get(spaceId));
  }

  multivariant(m: SpaceMedia, query: TicketQueryValue): MediaAnswer {
    const bandwidth = this.#plane.ctx.config.media.bitrate * 1.15; // Opus + fMP4 framing
    const aac =
      m.aac && !m.aac.failed ? { mediaUri: AAC_PLAYLIST, bandwidth: m.aac.bitrate * 1.15 } : undefined;
    const text = renderMultivariantPlaylist({ mediaUri: 'audio.m3u8', bandwidth, ...(aac ? { aac } : {}) });
    return { type: PLAYLIST_TYPE, cache: 'public, max-age=60', body: carryTicket(query, text) };
  }

  /** A rendition's media playlist, after the blocking reload its query asks for. */
  async mediaPlaylist(
    m: SpaceMedia,
    aacRendition: boolean,
    query: PlaylistQueryValue,
    client: MediaClient,
  ): Promise<MediaAnswer> {
    const packager = aacRendition ? m.aac?.packager : m.packager;
    if (!packager) throw new RostraError('not_found', 'This space has no such rendition (--aac off).');
    const parsed = parseDeliveryDirectives(query);
    if (!parsed.ok) throw new RostraError('bad_request', parsed.reason);
    const { directives } = parsed;
    // A reload that can be answered now takes no place among the held ones.
    const immediate = packager.decideReload(directives);
    if (immediate.kind === 'bad-request') throw new RostraError('bad_request', immediate.reason);
    if (immediate.kind === 'respond')
      return playlistAnswer(cacheFor(directives), query, packager, directives.skip, client);
    // Held reloads are capped per address and node (the guard); past the caps, the playlist as it is now,
    // never cached. A client that goes away frees its place at once.
    const slot = holdSlot(this.#plane.ctx.guard, client.ip, client.response);
    if (!slot) return playlistAnswer('no-store', query, packager, directives.skip, client);
    let decision: Awaited<ReturnType<SpaceMedia['awaitReload']>>;
    try {
      decision = await m.awaitReload(directives, packager, slot);
    } finally {
      slot.done();
    }
    if (decision.kind === 'bad-request') throw new RostraError('bad_request', decision.reason);
    if (decision.kind === 'timeout') {
      throw new RostraError('space_unavailable', 'The requested part did not arrive in time.', {
        retryAfter: 1,
      });
    }
    return playlistAnswer(cacheFor(directives), query, packager, directives.skip, client);
  }

  /** The init segment, a part (held while it is the next one) or a segment, of either rendition. */
  /**
   * The init segment, a part (held while it is the next one) or a segment, of either rendition. Answered
   * synchronously unless held: most part requests name a part that exists, and a promise each would cost.
   */
  file(m: SpaceMedia, name: string, client: MediaClient): MediaAnswer | Promise<MediaAnswer> {
    // The AAC rendition's files are the Opus names with an `aac-` prefix (broadcast/AacRendition.ts).
    const aac = name.startsWith(AAC_PREFIX);
    const packager = aac ? m.aac?.packager : m.packager;
    const file = aac ? name.slice(AAC_PREFIX.length) : name;
    if (!packager) throw new RostraError('not_found', 'This space has no AAC rendition (--aac off).');
    // Media bytes are Buffers from publication on (PartPackager), so nothing is copied per request.
    if (file === 'init.mp4') return { type: MEDIA_TYPE, cache: IMMUTABLE, body: packager.initSegment };
    const part = PART_FILE.exec(file);
    if (part) {
      const msn = Number(part[1]);
      const index = Number(part[2]);
      const bytes = packager.part(msn, index);
      // The preload hint names the next part before it exists: hold the request until it does.
      if (!bytes && isNextPart(packager, msn, index)) {
        const slot = holdSlot(this.#plane.ctx.guard, client.ip, client.response);
        if (slot) return this.#heldPart(m, aac, packager, msn, index, slot);
      }
      return this.#partAnswer(m, aac, packager, msn, index, bytes);
    }
    const segment = SEGMENT_FILE.exec(file);
    const bytes = segment ? packager.segment(Number(segment[1])) : undefined;
    if (bytes) return { type: MEDIA_TYPE, cache: IMMUTABLE, body: bytes };
    if (segment && Number(segment[1]) <= packager.playlist.position.lastMsn) this.#metrics?.outOfWindow.inc();
    throw new RostraError('not_found', 'This file is not in the live window.');
  }

  async #heldPart(
    m: SpaceMedia,
    aac: boolean,
    packager: PartPackager,
    msn: number,
    index: number,
    slot: HeldSlot,
  ): Promise<MediaAnswer> {
    let bytes: Buffer | undefined;
    try {
      const d = await m.awaitReload({ msn, part: index }, packager, slot);
      if (d.kind === 'respond') bytes = packager.part(msn, index);
    } finally {
      slot.done();
    }
    return this.#partAnswer(m, aac, packager, msn, index, bytes);
  }

  #partAnswer(
    m: SpaceMedia,
    aac: boolean,
    packager: PartPackager,
    msn: number,
    index: number,
    bytes: Buffer | undefined,
  ): MediaAnswer {
    if (bytes) {
      const publishedMs = aac ? undefined : m.publishedAt(msn, index); // the delay metric is Opus'
      if (publishedMs !== undefined)
        this.#metrics?.partDelay.observe(Math.max(0, Date.now() - publishedMs) / 1000);
      return { type: MEDIA_TYPE, cache: IMMUTABLE, body: bytes };
    }
    if (msn <= packager.playlist.position.lastMsn) this.#metrics?.outOfWindow.inc();
    throw new RostraError('not_found', 'This part is not in the live window.');
  }

  /** `tickets.check`, with the HMAC done once per ticket text. */
  #checkTicket(token: string | undefined, spaceId: string): ListenerTicket | undefined {
    const { tickets, clock } = this.#plane.ctx;
    const now = clock.now();
    const known = token === undefined ? undefined : this.#verified.get(token);
    if (known) {
      if (known.spaceId !== spaceId || known.expiresAt.getTime() <= now.getTime()) return undefined;
      return tickets.revoked(known) ? undefined : known;
    }
    const ticket = tickets.verify(token, spaceId, now);
    if (!ticket) return undefined;
    this.#verified.set(token as string, ticket);
    return tickets.revoked(ticket) ? undefined : ticket;
  }
}

/**
 * The playlist body. With the cookie: the rendering's own Buffer, gzip-compressed for a client that
 * accepts it, both made once per change and shared by every request (a crowd's held reloads all wake
 * on the same part). `Vary` tells caches; the shipped nginx edge asks for gzip always, so it keeps one
 * entry per URL (deploy/nginx/live.conf).
 */
function playlistAnswer(
  cache: string,
  query: PlaylistQueryValue,
  packager: PartPackager,
  skip: boolean,
  client: MediaClient,
): MediaAnswer {
  if (query.ticket !== undefined)
    return { type: PLAYLIST_TYPE, cache, body: carryTicket(query, packager.playlist.render({ skip })) };
  const gzip = acceptsGzip(client.acceptEncoding);
  return { type: PLAYLIST_TYPE, cache, body: packager.playlist.bytes({ skip, gzip }), gzip };
}

/** Sends an answer through fastify (the fast path writes the same headers in the same order). */
function sendAnswer(reply: FastifyReply, answer: MediaAnswer): FastifyReply {
  if (answer.gzip !== undefined) {
    void reply.header('vary', 'accept-encoding');
    if (answer.gzip) void reply.header('content-encoding', 'gzip');
  }
  return reply
    .code(200)
    .header('content-type', answer.type)
    .header('cache-control', answer.cache)
    .send(answer.body);
}

const clientOf = (request: FastifyRequest, reply: FastifyReply): MediaClient => ({
  ip: request.ip,
  response: reply.raw,
  acceptEncoding: request.headers['accept-encoding'],
});

export function liveRoutes(origin: LiveOrigin): RouteDef[] {
  return [
    route({
      method: 'GET',
      url: LIVE_URLS.multivariant,
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
        const m = await origin.mediaFor(params.id, ticketOf(request, query));
        return sendAnswer(reply, origin.multivariant(m, query));
      },
    }),
    route({
      method: 'GET',
      url: LIVE_URLS.opus,
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
      handler: async ({ params, query, request, reply }) => {
        const m = await origin.mediaFor(params.id, ticketOf(request, query));
        return sendAnswer(reply, await origin.mediaPlaylist(m, false, query, clientOf(request, reply)));
      },
    }),
    route({
      method: 'GET',
      url: LIVE_URLS.aac,
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
      handler: async ({ params, query, request, reply }) => {
        const m = await origin.mediaFor(params.id, ticketOf(request, query));
        return sendAnswer(reply, await origin.mediaPlaylist(m, true, query, clientOf(request, reply)));
      },
    }),
    route({
      method: 'GET',
      url: LIVE_URLS.file,
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
        const m = await origin.mediaFor(params.id, ticketOf(request, query));
        return sendAnswer(reply, await origin.file(m, params.file, clientOf(request, reply)));
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
