/**
 * The listener ticket's cookie: its name, how the join route sets it and how the media routes read it.
 * The cookie carries the ticket to the media path, so playlist and part URLs stay the same for everyone
 * (an edge can coalesce them); non-browser clients may send `?ticket=` instead.
 */
import type { FastifyRequest } from 'fastify';
import { TICKET_COOKIE } from '../../contract/rest.js';
import { readCookie } from '../../guard/AdmissionQueue.js';

/** The `set-cookie` value that scopes a space's ticket to that space's media path. */
export function ticketCookie(spaceId: string, ticket: string, maxAgeSeconds: number): string {
  return `${TICKET_COOKIE}=${ticket}; Path=/live/${spaceId}/; Max-Age=${maxAgeSeconds}; HttpOnly; SameSite=Lax`;
}

/** Where a media request's listener ticket comes from: `?ticket=` first, else the cookie. */
export function ticketOf(
  request: FastifyRequest,
  query: { ticket?: string | undefined },
): string | undefined {
  return query.ticket ?? readCookie(request.headers.cookie, TICKET_COOKIE);
}
