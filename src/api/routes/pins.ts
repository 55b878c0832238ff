/** Pinned posts of a space: list (anyone, cacheable), pin and unpin (host and co-hosts). */
import type { ControlPlane } from '../../control/ControlPlane.js';
import { PinBody, PinListSchema, PinParams, PinViewSchema } from '../../contract/experience.js';
import { IdParams } from '../../contract/rest.js';
import { route, type RouteDef } from '../Route.js';

export function pinRoutes(plane: ControlPlane): RouteDef[] {
  return [
    route({
      method: 'GET',
      url: '/api/v1/spaces/:id/pins',
      operationId: 'listPins',
      summary: 'The links pinned to a space, oldest first (also after it ended). Cacheable.',
      tag: 'pins',
      auth: 'none',
      params: IdParams,
      response: { status: 200, description: 'The pins', schema: PinListSchema },
      errors: ['space_not_found'],
      handler: async ({ params, reply }) => {
        void reply.header('cache-control', 'public, max-age=2, stale-while-revalidate=5');
        return { pins: await plane.pins.list(params.id) };
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/spaces/:id/pins',
      operationId: 'pin',
      summary: 'Pin a link (http or https) to the top of a live or scheduled space (host or co-host)',
      tag: 'pins',
      auth: 'required',
      params: IdParams,
      body: PinBody,
      response: { status: 201, description: 'The pin; everyone gets pins.changed', schema: PinViewSchema },
      errors: ['validation_failed', 'not_moderator', 'pin_limit', 'space_ended', 'space_not_found'],
      handler: ({ caller, params, body }) => plane.pins.add(caller, params.id, body),
    }),
    route({
      method: 'DELETE',
      url: '/api/v1/spaces/:id/pins/:pinId',
      operationId: 'unpin',
      summary: 'Unpin a link (host or co-host)',
      tag: 'pins',
      auth: 'required',
      params: PinParams,
      response: { status: 204, description: 'Unpinned; everyone gets pins.changed' },
      errors: ['not_moderator', 'not_found', 'space_ended', 'space_not_found'],
      handler: ({ caller, params }) => plane.pins.remove(caller, params.id, params.pinId),
    }),
  ];
}
