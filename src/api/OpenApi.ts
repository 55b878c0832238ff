/** Writes the OpenAPI 3.1 document from the route declarations. */
import { z } from 'zod';
import { ErrorCodes } from '../errors/index.js';
import type { RouteDef } from './Route.js';
import { ErrorSchema } from '../contract/rest.js';

type JsonSchema = Record<string, unknown>;

function schemaOf(s: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const json = z.toJSONSchema(s, { io, unrepresentable: 'any' }) as JsonSchema;
  delete json.$schema;
  return json;
}

function parametersOf(def: RouteDef): JsonSchema[] {
  const out: JsonSchema[] = [];
  for (const [where, schema] of [
    ['path', def.params],
    ['query', def.query],
  ] as const) {
    if (!schema) continue;
    const json = schemaOf(schema, 'input');
    const props = (json.properties ?? {}) as Record<string, JsonSchema>;
    const required = new Set((json.required as string[] | undefined) ?? []);
    for (const [name, prop] of Object.entries(props)) {
      out.push({ name, in: where, required: where === 'path' || required.has(name), schema: prop });
    }
  }
  return out;
}

export function openApiDocument(
  routes: readonly RouteDef[],
  info: { version: string; serverUrl: string },
): JsonSchema {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const def of routes) {
    const path = def.url.replace(/:([A-Za-z]+)/g, '{$1}');
    const responses: Record<string, unknown> = {
      [String(def.response.status)]: {
        description: def.response.description,
        ...(def.response.schema
          ? {
              content: {
                [def.response.contentType ?? 'application/json']: {
                  schema: schemaOf(def.response.schema, 'output'),
                },
              },
            }
          : {}),
      },
    };
    const codes = [
      ...new Set([
        ...(def.errors ?? []),
        'validation_failed' as const,
        ...(def.auth === 'required' ? (['unauthenticated', 'invalid_token'] as const) : []),
        // An anonymous caller is welcome, but a token that is sent must be valid.
        ...(def.auth === 'optional' ? (['invalid_token'] as const) : []),
      ]),
    ];
    for (const code of codes) {
      const status = String(ErrorCodes[code].status);
      const existing = responses[status] as { description: string } | undefined;
      const description = existing ? `${existing.description}; ${code}` : `Error: ${code}`;
      responses[status] = {
        description,
        content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
      };
    }
    (paths[path] ??= {})[def.method.toLowerCase()] = {
      operationId: def.operationId,
      summary: def.summary,
      tags: [def.tag],
      ...(def.auth === 'required'
        ? { security: [{ bearer: [] }] }
        : def.auth === 'optional'
          ? { security: [{}, { bearer: [] }] }
          : {}),
      parameters: parametersOf(def),
      ...(def.body
        ? {
            requestBody: {
              required: true,
              content: Object.fromEntries(
                (def.consumes ?? ['application/json']).map((t) => [
                  t,
                  { schema: schemaOf(def.body as z.ZodType, 'input') },
                ]),
              ),
            },
          }
        : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Rostra',
      version: info.version,
      description:
        'Live audio rooms. Errors are `{ "error": { "code", "message" } }` with stable codes; events flow on the WebSocket at /api/v1/events. ' +
        "Any route may also answer the guard's 429 `rate_limited` or 503 `server_busy`, with `Retry-After`, before it runs (not listed per operation).",
    },
    servers: [{ url: info.serverUrl }],
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'A session token from sign-up or sign-in' },
      },
      schemas: {
        Error: schemaOf(ErrorSchema, 'output'),
        ErrorCode: { type: 'string', enum: Object.keys(ErrorCodes) },
      },
    },
    paths,
  };
}
