/** Spaces: create, list, view, start, end, cancel, interest. */
import type { ControlPlane } from '../../control/ControlPlane.js';
import type { Caller } from '../../control/Context.js';
import type { Space } from '../../domain/types.js';
import { route, type RouteDef } from '../Route.js';
import {
  IdParams,
  ListSpacesQuery,
  NewSpaceBody,
  SpaceListSchema,
  SpaceViewSchema,
} from '../../contract/rest.js';

/** Public views are the same for everyone: an edge cache may keep them briefly and absorb a crowd. */
const PUBLIC_CACHE = 'public, max-age=2, stale-while-revalidate=5';

export function spaceRoutes(plane: ControlPlane): RouteDef[] {
  const view = (id: string) => plane.spaces.view(id);
  const transitions: [string, string, string, (caller: Caller, id: string) => Promise<Space>][] = [
    [
      'backstage',
      'openBackstage',
      'Open the backstage of a scheduled space (host): hosts meet on stage, listeners wait, nothing is broadcast',
      (c, id) => plane.spaces.openBackstage(c, id),
    ],
    [
      'start',
      'startSpace',
      'Go live: start a scheduled space (host) or a backstage (host or co-host; nobody reconnects)',
      (c, id) => plane.spaces.start(c, id),
    ],
    ['end', 'endSpace', 'End a live space or a backstage (host)', (c, id) => plane.spaces.end(c, id)],
    [
      'cancel',
      'cancelSpace',
      'Cancel a scheduled space or a backstage (host)',
      (c, id) => plane.spaces.cancel(c, id),
    ],
  ];
  return [
    route({
      method: 'POST',
      url: '/api/v1/spaces',
      operationId: 'createSpace',
      summary: 'Start a space now, or schedule it up to 14 days ahead',
      tag: 'spaces',
      auth: 'required',
      body: NewSpaceBody,
      response: { status: 201, description: 'The space', schema: SpaceViewSchema },
      errors: ['validation_failed'],
      handler: async ({ caller, body }) => view((await plane.spaces.create(caller, body)).id),
    }),
    route({
      method: 'GET',
      url: '/api/v1/spaces',
      operationId: 'listSpaces',
      summary: 'Live spaces (newest first, with listener counts) or scheduled ones (soonest first)',
      tag: 'spaces',
      auth: 'none',
      query: ListSpacesQuery,
      response: { status: 200, description: 'A page of spaces', schema: SpaceListSchema },
      handler: async ({ query, reply }) => {
        void reply.header('cache-control', PUBLIC_CACHE);
        return plane.spaces.list(query.state, query.limit, query.cursor);
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/spaces/:id',
      operationId: 'getSpace',
      summary: 'A space: state, stage and live listener count. Cacheable; the same for every caller.',
      tag: 'spaces',
      auth: 'none',
      params: IdParams,
      response: { status: 200, description: 'The space', schema: SpaceViewSchema },
      errors: ['space_not_found'],
      handler: async ({ params, reply }) => {
        void reply.header('cache-control', PUBLIC_CACHE);
        return view(params.id);
      },
    }),
    ...transitions.map(([verb, operationId, summary, act]) =>
      route({
        method: 'POST',
        url: `/api/v1/spaces/:id/${verb}`,
        operationId,
        summary,
        tag: 'spaces',
        auth: 'required',
        params: IdParams,
        response: { status: 200, description: 'The space', schema: SpaceViewSchema },
        errors: ['not_host', 'not_moderator', 'invalid_state', 'space_ended', 'space_not_found'],
        handler: async ({ caller, params }) => view((await act(caller, params.id)).id),
      }),
    ),
    route({
      method: 'PUT',
      url: '/api/v1/spaces/:id/interest',
      operationId: 'addInterest',
      summary: 'Be told when a scheduled space starts',
      tag: 'spaces',
      auth: 'required',
      params: IdParams,
      response: { status: 204, description: 'You will get a reminder event' },
      errors: ['invalid_state', 'space_not_found', 'removed_from_space', 'blocked_by_host'],
      handler: ({ caller, params }) => plane.spaces.setInterest(caller, params.id, true),
    }),
    route({
      method: 'DELETE',
      url: '/api/v1/spaces/:id/interest',
      operationId: 'removeInterest',
      summary: 'No longer be told when it starts',
      tag: 'spaces',
      auth: 'required',
      params: IdParams,
      response: { status: 204, description: 'Done' },
      errors: ['space_not_found'],
      handler: ({ caller, params }) => plane.spaces.setInterest(caller, params.id, false),
    }),
  ];
}
