/**
 * Session tokens: HMAC-signed {session id, user id, expiry}. The signature rejects forgeries with no
 * lookup; revocation (sign-out) needs the session row, which a short node-local cache keeps cheap.
 * Every node drops a revoked session from its cache through the Bus.
 */
import { randomBytes } from 'node:crypto';
import type { Bus, Unsubscribe } from '../bus/Bus.js';
import type { Store } from '../store/Store.js';
import { TokenSigner } from './SignedToken.js';

interface SessionPayload {
  sid: string;
  uid: string;
  exp: number;
}

function isSessionPayload(v: unknown): v is SessionPayload {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return typeof o.sid === 'string' && typeof o.uid === 'string' && typeof o.exp === 'number';
}

export interface AuthenticatedSession {
  sessionId: string;
  userId: string;
}

const REVOKED_CHANNEL = 'sessions.revoked';
/** A cached "still valid" answer is reused this long; a revocation clears it at once on every node. */
const CACHE_MS = 30_000;
const CACHE_MAX = 50_000;

export class SessionTokens {
  readonly #signer: TokenSigner<SessionPayload>;
  readonly #store: Store;
  readonly #bus: Bus;
  readonly #ttlSeconds: number;
  readonly #valid = new Map<string, number>(); // session id → cached until (ms)
  #unsubscribe: Unsubscribe | undefined;

  constructor(opts: { secret: string; store: Store; bus: Bus; ttlDays: number }) {
    this.#signer = new TokenSigner(opts.secret, 'session');
    this.#store = opts.store;
    this.#bus = opts.bus;
    this.#ttlSeconds = opts.ttlDays * 86_400;
  }

  async start(): Promise<void> {
    this.#unsubscribe = await this.#bus.subscribe(REVOKED_CHANNEL, (msg) => {
      if (typeof msg.sid === 'string') this.#valid.delete(msg.sid);
    });
  }

  async close(): Promise<void> {
    const unsubscribe = this.#unsubscribe;
    this.#unsubscribe = undefined;
    this.#valid.clear();
    await unsubscribe?.();
  }

  async issue(userId: string, now: Date): Promise<{ token: string; expiresAt: string }> {
    const sid = randomBytes(12).toString('base64url');
    const exp = Math.floor(now.getTime() / 1000) + this.#ttlSeconds;
    const expiresAt = new Date(exp * 1000).toISOString();
    await this.#store.sessions.create({ id: sid, userId, expiresAt });
    return { token: this.#signer.sign({ sid, uid: userId, exp }), expiresAt };
  }

  /** The session if the token is genuine, unexpired and not revoked; otherwise undefined. */
  async verify(token: unknown, now: Date): Promise<AuthenticatedSession | undefined> {
    const p = this.#signer.verify(token, now.getTime() / 1000, isSessionPayload);
    if (!p) return undefined;
    const nowMs = now.getTime();
    const cachedUntil = this.#valid.get(p.sid);
    if (cachedUntil !== undefined && cachedUntil > nowMs) return { sessionId: p.sid, userId: p.uid };
    const row = await this.#store.sessions.get(p.sid);
    if (!row || row.revokedAt !== null || row.userId !== p.uid || Date.parse(row.expiresAt) <= nowMs) {
      this.#valid.delete(p.sid);
      return undefined;
    }
    if (this.#valid.size >= CACHE_MAX) this.#valid.clear(); // crude bound; misses only cost a lookup
    this.#valid.set(p.sid, nowMs + CACHE_MS);
    return { sessionId: p.sid, userId: p.uid };
  }

  async revoke(sessionId: string, now: Date): Promise<void> {
    await this.#store.sessions.revoke(sessionId, now.toISOString());
    this.#valid.delete(sessionId);
    await this.#bus.publish(REVOKED_CHANNEL, { sid: sessionId });
  }
}
