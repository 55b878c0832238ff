/** The listener join path: listen, heartbeat, leave, the listener list and reactions. */
import type { ControlPlane } from '../../control/ControlPlane.js';
import { RostraError } from '../../errors/index.js';
import { route, type RouteDef } from '../Route.js';
import {
  AdmissionSchema,
  IdParams,
  ListenBody,
  ListenersSchema,
  PageQuery,
  ReactionBody,
  TicketBody,
  TicketRenewalSchema,
} from '../../contract/rest.js';
import { ticketCookie } from './ticketCookie.js';
import { QUEUE_COOKIE, readCookie } from '../../guard/index.js';

export function audienceRoutes(plane: ControlPlane): RouteDef[] {
  const setTicketCookie = (
    reply: { header(k: string, v: string): unknown },
    spaceId: string,
    ticket: string,
  ) => {
    reply.header('set-cookie', ticketCookie(spaceId, ticket, plane.ctx.config.timing.ticketTtlSeconds));
  };
  return [
    route({
      method: 'POST',
      url: '/api/v1/spaces/:id/listen',
      operationId: 'listen',
      summary: 'Ask to listen: a signed, short-lived listener ticket and the playlist URL',
      tag: 'audience',
      auth: 'optional',
      params: IdParams,
      body: ListenBody,
      response: { status: 200, description: 'Admitted', schema: AdmissionSchema },
      errors: [
        'space_not_found',
        'space_unavailable',
        'space_ended',
        'invalid_state',
        'sign_in_required',
        'removed_from_space',
        'blocked_by_host',
        'rate_limited',
      ],
      handler: async ({ caller, params, body, reply, request, ip }) => {
        const space = await plane.spaces.get(params.id);
        // The guard's ladder may put a newcomer in line: the pass rides in a cookie on this URL.
        const admission = await plane.audience.listen(caller, space, body.ticket, {
          ip,
          pass: readCookie(request.headers.cookie, QUEUE_COOKIE),
          setPass: (pass) =>
            void reply.header(
              'set-cookie',
              `${QUEUE_COOKIE}=${pass}; Path=/api/v1/spaces/${params.id}/listen; Max-Age=300; HttpOnly; SameSite=Lax`,
            ),
        });
        setTicketCookie(reply, params.id, admission.ticket);
        return admission;
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/spaces/:id/heartbeat',
      operationId: 'heartbeat',
      summary: 'Stay counted as a listener (every heartbeatSeconds); returns a renewed ticket',
      tag: 'audience',
      auth: 'none',
      params: IdParams,
      body: TicketBody,
      response: { status: 200, description: 'Renewed', schema: TicketRenewalSchema },
      errors: ['invalid_ticket', 'space_ended', 'removed_from_space'],
      handler: async ({ params, body, reply }) => {
        const renewed = await plane.audience.heartbeat(await plane.spaces.get(params.id), body.ticket);
        setTicketCookie(reply, params.id, renewed.ticket);
        return renewed;
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/spaces/:id/leave',
      operationId: 'leave',
      summary: 'Stop listening (no longer counted)',
      tag: 'audience',
      auth: 'none',
      params: IdParams,
      body: TicketBody,
      response: { status: 204, description: 'Left' },
      errors: ['invalid_ticket'],
      handler: async ({ params, body }) =>
        plane.audience.leave(await plane.spaces.get(params.id), body.ticket),
    }),
    route({
      method: 'GET',
      url: '/api/v1/spaces/:id/listeners',
      operationId: 'listListeners',
      summary: 'Signed-in listeners, paged, and the live count (anonymous listeners are counted, not listed)',
      tag: 'audience',
      auth: 'none',
      params: IdParams,
      query: PageQuery,
      response: { status: 200, description: 'A page of listeners', schema: ListenersSchema },
      errors: ['space_not_found'],
      handler: async ({ params, query }) => {
        await plane.spaces.get(params.id);
        return plane.audience.listeners(params.id, query.limit, query.cursor);
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/spaces/:id/reactions',
      operationId: 'react',
      summary: 'Send a reaction from the fixed set (signed in, or with a listener ticket)',
      tag: 'audience',
      auth: 'optional',
      params: IdParams,
      body: ReactionBody,
      response: { status: 204, description: 'Sent' },
      errors: ['rate_limited', 'invalid_ticket', 'unauthenticated', 'removed_from_space', 'blocked_by_host'],
      handler: async ({ caller, params, body }) => {
        const space = await plane.spaces.get(params.id);
        let who: { userId?: string; listenerId: string };
        if (caller) who = { userId: caller.userId, listenerId: `u:${caller.userId}` };
        else if (body.ticket !== undefined) {
          const ticket = plane.ctx.tickets.check(body.ticket, space.id, plane.ctx.clock.now());
          if (!ticket) throw new RostraError('invalid_ticket');
          who = { listenerId: ticket.listenerId };
        } else throw new RostraError('unauthenticated', 'Sign in or listen first to react.');
        await plane.reactions.react(space, who, body.emoji);
      },
    }),
  ];
}
