/**
 * A coded error's whole HTTP answer, made once and written as it is: what HttpServer's error handler
 * sends (headers in its order), for the paths in front of fastify that refuse a flood's requests over and
 * over with the same bytes (the media fast path, the junk door).
 */
import type { RostraError } from './RostraError.js';

export interface PreparedAnswer {
  readonly status: number;
  /** The errors metric's label, made once. */
  readonly label: { readonly code: string };
  /** Name, value, name, value... for `writeHead` (never changed: writeHead only reads it). */
  readonly headers: string[];
  readonly body: string;
}

/** `cors`: with the CORS header that the routes under it send (fastify's hook sends it first). */
export function prepareAnswer(err: RostraError, cors: boolean): PreparedAnswer {
  const body = JSON.stringify(err.toBody());
  const headers = cors ? ['access-control-allow-origin', '*'] : [];
  if (err.retryAfter !== undefined) headers.push('retry-after', String(err.retryAfter));
  headers.push('cache-control', 'no-store', 'content-type', 'application/json; charset=utf-8');
  headers.push('content-length', String(Buffer.byteLength(body)));
  return { status: err.status, label: { code: err.code }, headers, body };
}
