/** Maps anything thrown while serving a request to the one error shape, `{ error: { code, message } }`. */
import type { FastifyError } from 'fastify';
import { z } from 'zod';
import { RostraError, type ErrorCode } from '../errors/index.js';

/** Fastify's own request errors, translated to our stable codes. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'bad_request',
  FST_ERR_BAD_URL: 'bad_request',
  FST_ERR_MAX_PARAM_LENGTH: 'bad_request',
  FST_ERR_ASYNC_CONSTRAINT: 'bad_request',
};

export function toRostraError(err: unknown): RostraError {
  if (err instanceof RostraError) return err;
  if (err instanceof z.ZodError) return fromZod(err);
  const fe = err as Partial<FastifyError> | undefined;
  const mapped = fe?.code !== undefined ? FASTIFY_CODES[fe.code] : undefined;
  if (mapped) return new RostraError(mapped);
  if (fe instanceof SyntaxError) return new RostraError('invalid_json');
  // Any other client error fastify raised (bad headers, proto poisoning...): a 400 without internals.
  if (typeof fe?.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500)
    return new RostraError('bad_request');
  return new RostraError('internal');
}

export function fromZod(err: z.ZodError, where = 'request'): RostraError {
  const issues = err.issues.slice(0, 10).map((i) => ({ path: i.path.join('.'), message: i.message }));
  const first = issues[0];
  const message = first
    ? `Invalid ${where}: ${first.path || '(root)'}: ${first.message}`
    : `Invalid ${where}.`;
  return new RostraError('validation_failed', message, { details: { issues } });
}
