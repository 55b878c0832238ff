/** Where a media request's listener ticket comes from: the cookie browsers send, or `?ticket=`. */
import type { FastifyRequest } from 'fastify';
import { TICKET_COOKIE } from './audience.js';

export function ticketOf(
  request: FastifyRequest,
  query: { ticket?: string | undefined },
): string | undefined {
  if (query.ticket !== undefined) return query.ticket;
  const header = request.headers.cookie;
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === TICKET_COOKIE) return part.slice(eq + 1).trim();
  }
  return undefined;
}
