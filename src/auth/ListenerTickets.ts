/**
 * Listener tickets: short-lived HMAC-signed permission to fetch one space's audio. Checked with no lookup,
 * so the media path costs one HMAC per request and nothing per listener is stored anywhere.
 */
import { newId } from '../util/ids.js';
import { TokenSigner } from './SignedToken.js';

export interface TicketPayload {
  /** space id */
  s: string;
  /** listener id: stable across renewals, used for presence */
  l: string;
  /** user id, when signed in */
  u?: string;
  /** expiry, seconds since the epoch */
  exp: number;
}

export interface ListenerTicket {
  spaceId: string;
  listenerId: string;
  userId: string | undefined;
  expiresAt: Date;
}

function isTicketPayload(v: unknown): v is TicketPayload {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return (
    typeof o.s === 'string' &&
    typeof o.l === 'string' &&
    (o.u === undefined || typeof o.u === 'string') &&
    typeof o.exp === 'number'
  );
}

export class ListenerTickets {
  readonly #signer: TokenSigner<TicketPayload>;
  readonly #ttlSeconds: number;
  readonly #revoked: (spaceId: string, userId: string) => boolean;

  /** `revoked`: is this user's standing in the space withdrawn (removed)? Asked on every check. */
  constructor(
    secret: string,
    ttlSeconds: number,
    revoked: (spaceId: string, userId: string) => boolean = () => false,
  ) {
    this.#signer = new TokenSigner(secret, 'ticket');
    this.#ttlSeconds = ttlSeconds;
    this.#revoked = revoked;
  }

  /** A new listener id for an anonymous listener, or the user's own id. */
  static listenerIdFor(userId: string | undefined): string {
    return userId !== undefined ? `u:${userId}` : `a:${newId()}`;
  }

  issue(
    spaceId: string,
    listenerId: string,
    userId: string | undefined,
    now: Date,
    ttlSeconds = this.#ttlSeconds,
  ): { token: string; ticket: ListenerTicket } {
    const exp = Math.floor(now.getTime() / 1000) + ttlSeconds;
    const payload: TicketPayload =
      userId !== undefined
        ? { s: spaceId, l: listenerId, u: userId, exp }
        : { s: spaceId, l: listenerId, exp };
    return {
      token: this.#signer.sign(payload),
      ticket: { spaceId, listenerId, userId, expiresAt: new Date(exp * 1000) },
    };
  }

  /** The ticket if it is genuine, unexpired and for this space; otherwise undefined. No lookup. */
  check(token: unknown, spaceId: string, now: Date): ListenerTicket | undefined {
    const t = this.verify(token, spaceId, now);
    return t && !this.revoked(t) ? t : undefined;
  }

  /** As `check`, but a revoked ticket passes too (to answer `removed_from_space` rather than a bad ticket). */
  verify(token: unknown, spaceId: string, now: Date): ListenerTicket | undefined {
    const p = this.#signer.verify(token, now.getTime() / 1000, isTicketPayload);
    if (!p || p.s !== spaceId) return undefined;
    return { spaceId: p.s, listenerId: p.l, userId: p.u, expiresAt: new Date(p.exp * 1000) };
  }

  revoked(ticket: ListenerTicket): boolean {
    return ticket.userId !== undefined && this.#revoked(ticket.spaceId, ticket.userId);
  }
}
