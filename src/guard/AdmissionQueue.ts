/**
 * The fair line for new anonymous listeners while the node is under pressure. Instead of a stampede of
 * retries, each newcomer gets a signed place in line: a pass naming the moment they may enter, spaced at
 * `ratePerSecond`. Coming back with the pass at that moment admits them ahead of the pressure shedding. The
 * pass is HMAC-signed (nothing stored per person) and rides in a cookie scoped to the join URL, so a
 * browser returns it without help. Each node keeps its own line: the rate is per node, as the pressure it
 * relieves is (docs/guard.md). The pass is signed with the cluster's secret, so any node honours a place
 * given by another: a balancer may send the return anywhere.
 */
import { TokenSigner } from '../auth/SignedToken.js';

interface PassPayload {
  /** space id */
  s: string;
  /** the client address it was given to (a pass is not passed around) */
  i: string;
  /** may enter from, ms since the epoch */
  at: number;
  /** pass expiry, seconds since the epoch */
  exp: number;
}

function isPass(v: unknown): v is PassPayload {
  if (typeof v !== 'object' || v === null) return false;
  const o = v as Record<string, unknown>;
  return (
    typeof o.s === 'string' &&
    typeof o.i === 'string' &&
    typeof o.at === 'number' &&
    typeof o.exp === 'number'
  );
}

export const QUEUE_COOKIE = 'rostra_queue';
/** A pass is good this long after its moment, so a slow browser still gets in. */
const GRACE_MS = 60_000;
/** The line is never longer than this; beyond, a plain refusal with a retry time. */
const MAX_WAIT_MS = 120_000;

export type QueueAnswer =
  | { kind: 'wait'; pass: string; position: number; retryAfterS: number }
  | { kind: 'full'; retryAfterS: number };

export class AdmissionQueue {
  readonly #signer: TokenSigner<PassPayload>;
  readonly #spacingMs: number;
  #next = 0;

  constructor(secret: string, ratePerSecond: number) {
    this.#signer = new TokenSigner(secret, 'queue');
    this.#spacingMs = 1000 / ratePerSecond;
  }

  /** Does this pass let its holder in now? */
  honours(pass: string | undefined, spaceId: string, ip: string, nowMs: number): boolean {
    if (pass === undefined) return false;
    const p = this.#signer.verify(pass, nowMs / 1000, isPass);
    return p !== undefined && p.s === spaceId && p.i === ip && p.at <= nowMs;
  }

  /** A place in line for a newcomer, or `full` when the line is already as long as it may be. */
  enqueue(spaceId: string, ip: string, nowMs: number): QueueAnswer {
    const at = Math.max(nowMs + this.#spacingMs, this.#next + this.#spacingMs);
    if (at - nowMs > MAX_WAIT_MS) return { kind: 'full', retryAfterS: Math.ceil(MAX_WAIT_MS / 2000) };
    this.#next = at;
    const pass = this.#signer.sign({ s: spaceId, i: ip, at, exp: Math.ceil((at + GRACE_MS) / 1000) });
    return {
      kind: 'wait',
      pass,
      position: Math.max(1, Math.round((at - nowMs) / this.#spacingMs)),
      retryAfterS: Math.max(1, Math.ceil((at - nowMs) / 1000)),
    };
  }
}

export function readCookie(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
