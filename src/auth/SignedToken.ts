/**
 * Compact HMAC-SHA256 signed tokens: `base64url(json payload).base64url(mac)`. One key per purpose, derived
 * from the node secret, so a listener ticket can never pass as a session token.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type TokenPurpose = 'session' | 'ticket' | 'queue' | 'device';

/** Tokens longer than this are refused before any work. */
const MAX_TOKEN_LENGTH = 1024;
/**
 * The MAC part as `sign` writes it: 32 bytes in unpadded base64url, 43 characters, the last carrying 4
 * bits (its low 2 zero). Anything else cannot be ours, so it is refused before the HMAC: a flood's
 * forged tickets are mostly of no such shape, and their HMAC was ~5 % of a node's CPU under it.
 */
const MAC_SHAPE = /^[A-Za-z0-9_-]{42}[AEIMQUYcgkosw048]$/;
const MAC_CHARS = 43;

export class TokenSigner<P extends { exp: number }> {
  readonly #key: Buffer;

  constructor(secret: string, purpose: TokenPurpose) {
    if (secret.length < 32) throw new TypeError('TokenSigner: secret must be at least 32 characters');
    this.#key = createHmac('sha256', secret).update(`rostra/${purpose}/v1`).digest();
  }

  sign(payload: P): string {
    const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
    return `${body}.${this.#mac(body).toString('base64url')}`;
  }

  /**
   * Returns the payload if the MAC matches and `exp` (seconds since the epoch) is after `nowSeconds`;
   * otherwise undefined. Never throws on any input.
   */
  verify(token: unknown, nowSeconds: number, isPayload: (v: unknown) => v is P): P | undefined {
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) return undefined;
    const dot = token.indexOf('.');
    if (dot <= 0 || token.length - dot - 1 !== MAC_CHARS) return undefined;
    const macText = token.slice(dot + 1);
    if (!MAC_SHAPE.test(macText)) return undefined; // also: no second dot
    const body = token.slice(0, dot);
    const mac = Buffer.from(macText, 'base64url');
    const expected = this.#mac(body);
    if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) return undefined;
    let payload: unknown;
    try {
      payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    } catch {
      return undefined; // a correctly signed but unparsable body cannot come from us; treat as forged
    }
    if (!isPayload(payload) || !(payload.exp > nowSeconds)) return undefined;
    return payload;
  }

  #mac(body: string): Buffer {
    return createHmac('sha256', this.#key).update(body).digest();
  }
}
