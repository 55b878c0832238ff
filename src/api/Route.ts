/**
 * One declaration per HTTP route: its schemas validate the request and also write the OpenAPI document,
 * so the two cannot drift apart.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { z } from 'zod';
import type { ErrorCode } from '../errors/index.js';
import type { Caller } from '../control/Context.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  caller: Caller;
  ip: string;
  request: FastifyRequest;
  reply: FastifyReply;
}

export interface RouteDef<P = unknown, Q = unknown, B = unknown> {
  method: HttpMethod;
  /** Fastify syntax: `/api/v1/spaces/:id` */
  url: string;
  operationId: string;
  summary: string;
  tag: string;
  /** 'required': 401 without a valid session; 'optional': caller may be anonymous. */
  auth: 'required' | 'optional' | 'none';
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /** Content types the body may come in (default JSON). */
  consumes?: string[];
  response: { status: number; description: string; schema?: z.ZodType; contentType?: string };
  /** The coded errors a client should expect, for the document. */
  errors?: ErrorCode[];
  handler: (input: RouteInput<P, Q, B>) => Promise<unknown>;
  /**
   * Hand-written checks for a hot route (the media path), tried before the zod schemas: each returns the
   * value when it is plainly valid, or undefined to let the schema parse it and answer its error. They
   * must accept nothing the schema refuses.
   */
  fastParse?: { params?: (raw: unknown) => P | undefined; query?: (raw: unknown) => Q | undefined };
}

/** Keeps each route's types while collecting them in one list. */
export function route<P = undefined, Q = undefined, B = undefined>(def: RouteDef<P, Q, B>): RouteDef {
  return def as unknown as RouteDef;
}
