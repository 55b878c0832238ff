/** Accounts: sign up, sign in, sign out, me, users, blocks. */
import { z } from 'zod';
import type { ControlPlane } from '../../control/ControlPlane.js';
import { RostraError } from '../../errors/index.js';
import { route, type RouteDef } from '../Route.js';
import { DEVICE_COOKIE, DEVICE_TTL_S, readCookie } from '../../guard/index.js';
import {
  HandleParams,
  IdParams,
  SessionSchema,
  SignInBody,
  SignUpBody,
  UserSchema,
} from '../../contract/rest.js';

export function accountRoutes(plane: ControlPlane): RouteDef[] {
  return [
    route({
      method: 'POST',
      url: '/api/v1/auth/signup',
      operationId: 'signUp',
      summary: 'Create an account and sign in',
      tag: 'accounts',
      auth: 'none',
      body: SignUpBody,
      response: { status: 201, description: 'The new user and a session token', schema: SessionSchema },
      errors: ['validation_failed', 'handle_taken', 'rate_limited', 'server_busy'],
      handler: ({ body }) => plane.accounts.signUp(body),
    }),
    route({
      method: 'POST',
      url: '/api/v1/auth/signin',
      operationId: 'signIn',
      summary: 'Sign in with handle and password',
      tag: 'accounts',
      auth: 'none',
      body: SignInBody,
      response: { status: 200, description: 'The user and a session token', schema: SessionSchema },
      errors: ['invalid_credentials', 'too_many_attempts', 'server_busy'],
      handler: async ({ body, ip, request, reply }) => {
        // A device that signed in here before goes first for hashing (the guard); the wait is told in
        // Server-Timing, so a client (and the flood bench) can see the queue apart from the network.
        const timing = { waitMs: 0, runMs: 0 };
        const { device, ...session } = await plane.accounts.signIn(body, ip, {
          device: readCookie(request.headers.cookie, DEVICE_COOKIE),
          timing,
        });
        reply.header(
          'set-cookie',
          `${DEVICE_COOKIE}=${device}; Path=/api/v1/auth/; Max-Age=${DEVICE_TTL_S}; HttpOnly; SameSite=Strict`,
        );
        reply.header(
          'server-timing',
          `queue;dur=${timing.waitMs.toFixed(1)}, hash;dur=${timing.runMs.toFixed(1)}`,
        );
        return session;
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/auth/signout',
      operationId: 'signOut',
      summary: 'Revoke this session token',
      tag: 'accounts',
      auth: 'required',
      response: { status: 204, description: 'Signed out' },
      handler: async ({ caller }) => {
        if (caller) await plane.accounts.signOut(caller.sessionId);
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/me',
      operationId: 'me',
      summary: 'The signed-in user',
      tag: 'accounts',
      auth: 'required',
      response: { status: 200, description: 'The user', schema: UserSchema },
      handler: ({ caller }) => plane.accounts.user(requireUser(caller)),
    }),
    route({
      method: 'GET',
      url: '/api/v1/users/:handle',
      operationId: 'userByHandle',
      summary: 'A user by handle',
      tag: 'accounts',
      auth: 'none',
      params: HandleParams,
      response: { status: 200, description: 'The user', schema: UserSchema },
      errors: ['user_not_found'],
      handler: ({ params }) => plane.accounts.userByHandle(params.handle),
    }),
    route({
      method: 'GET',
      url: '/api/v1/me/blocks',
      operationId: 'listBlocks',
      summary: 'Users I blocked',
      tag: 'accounts',
      auth: 'required',
      response: {
        status: 200,
        description: 'Blocked users',
        schema: z.object({ users: z.array(UserSchema) }),
      },
      handler: async ({ caller }) => ({ users: await plane.accounts.blocked(requireUser(caller)) }),
    }),
    route({
      method: 'PUT',
      url: '/api/v1/me/blocks/:id',
      operationId: 'blockUser',
      summary: 'Block a user: they cannot join my spaces',
      tag: 'accounts',
      auth: 'required',
      params: IdParams,
      response: { status: 204, description: 'Blocked' },
      errors: ['user_not_found'],
      handler: ({ caller, params }) => plane.accounts.block(requireUser(caller), params.id),
    }),
    route({
      method: 'DELETE',
      url: '/api/v1/me/blocks/:id',
      operationId: 'unblockUser',
      summary: 'Unblock a user',
      tag: 'accounts',
      auth: 'required',
      params: IdParams,
      response: { status: 204, description: 'Unblocked' },
      handler: ({ caller, params }) => plane.accounts.unblock(requireUser(caller), params.id),
    }),
  ];
}

function requireUser(caller: { userId: string } | undefined): string {
  if (!caller) throw new RostraError('unauthenticated');
  return caller.userId;
}
