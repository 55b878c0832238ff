/** Roles and moderation: co-hosts, requests, invitations, mutes, taking the mic, removing people. */
import type { ControlPlane } from '../../control/ControlPlane.js';
import type { Caller } from '../../control/Context.js';
import type { ErrorCode } from '../../errors/index.js';
import { route, type RouteDef } from '../Route.js';
import { AnswerBody, IdParams, RequestsSchema, SpaceUserParams } from '../../contract/rest.js';

const NO_CONTENT = { status: 204, description: 'Done' } as const;
const MODERATION_ERRORS: ErrorCode[] = [
  'not_moderator',
  'not_host',
  'forbidden',
  'not_on_stage',
  'invalid_state',
  'space_ended',
  'space_not_found',
];

export function stageRoutes(plane: ControlPlane): RouteDef[] {
  const s = plane.stage;
  /** A moderation action on one user: POST /api/v1/spaces/:id/users/:userId/<verb> */
  const onUser = (
    verb: string,
    operationId: string,
    summary: string,
    act: (caller: Caller, spaceId: string, userId: string) => Promise<void>,
    errors: ErrorCode[] = [],
  ) =>
    route({
      method: 'POST',
      url: `/api/v1/spaces/:id/users/:userId/${verb}`,
      operationId,
      summary,
      tag: 'stage',
      auth: 'required',
      params: SpaceUserParams,
      response: NO_CONTENT,
      errors: [...MODERATION_ERRORS, ...errors],
      handler: ({ caller, params }) => act(caller, params.id, params.userId),
    });
  /** An action on oneself: POST /api/v1/spaces/:id/<verb> */
  const onSelf = (
    verb: string,
    operationId: string,
    summary: string,
    act: (caller: Caller, spaceId: string) => Promise<unknown>,
    errors: ErrorCode[] = [],
  ) =>
    route({
      method: 'POST',
      url: `/api/v1/spaces/:id/${verb}`,
      operationId,
      summary,
      tag: 'stage',
      auth: 'required',
      params: IdParams,
      response: NO_CONTENT,
      errors: [...MODERATION_ERRORS, ...errors],
      handler: async ({ caller, params }) => {
        await act(caller, params.id);
      },
    });

  return [
    onUser(
      'cohost',
      'addCohost',
      'Make a user a co-host (host only; at most 2)',
      (c, id, u) => s.addCohost(c, id, u),
      ['cohost_limit', 'user_not_found', 'removed_from_space', 'blocked_by_host', 'bad_request'],
    ),
    onUser(
      'uncohost',
      'removeCohost',
      'Remove a co-host (host only); they stay on stage as a speaker if there is room',
      (c, id, u) => s.removeCohost(c, id, u),
      ['not_found'],
    ),
    onUser(
      'invite',
      'inviteSpeaker',
      'Invite a listener to speak (host or co-host)',
      (c, id, u) => s.invite(c, id, u),
      ['user_not_found', 'already_exists'],
    ),
    onUser('mute', 'muteSpeaker', 'Mute a speaker (host or co-host), or yourself', (c, id, u) =>
      s.mute(c, id, u),
    ),
    onUser('unmute', 'unmuteSelf', 'Unmute yourself (nobody unmutes someone else)', (c, id, u) =>
      s.unmute(c, id, u),
    ),
    onUser(
      'take-mic',
      'takeMic',
      "Take a speaker's mic: they become a listener (host or co-host)",
      (c, id, u) => s.takeMic(c, id, u),
    ),
    onUser(
      'remove',
      'removeUser',
      'Remove a user from the space; they cannot rejoin it (host or co-host)',
      (c, id, u) => s.removeUser(c, id, u),
      ['user_not_found'],
    ),
    onSelf('mute-all', 'muteAll', 'Mute everyone on stage but yourself (host or co-host)', (c, id) =>
      s.muteAll(c, id),
    ),
    onSelf('leave-stage', 'leaveStage', 'Step down from the stage to listening', (c, id) =>
      s.leaveStage(c, id),
    ),
    onSelf('requests', 'requestToSpeak', 'Ask to speak', (c, id) => s.requestToSpeak(c, id), [
      'already_exists',
      'rate_limited',
      'removed_from_space',
      'blocked_by_host',
    ]),
    route({
      method: 'DELETE',
      url: '/api/v1/spaces/:id/requests',
      operationId: 'cancelRequest',
      summary: 'Withdraw my request to speak',
      tag: 'stage',
      auth: 'required',
      params: IdParams,
      response: NO_CONTENT,
      errors: ['space_not_found'],
      handler: ({ caller, params }) => s.cancelRequest(caller, params.id),
    }),
    route({
      method: 'GET',
      url: '/api/v1/spaces/:id/requests',
      operationId: 'listRequests',
      summary: 'Pending requests to speak, oldest first (host or co-host)',
      tag: 'stage',
      auth: 'required',
      params: IdParams,
      response: { status: 200, description: 'Requests', schema: RequestsSchema },
      errors: ['not_moderator', 'space_not_found'],
      handler: async ({ caller, params }) => ({ requests: await s.listRequests(caller, params.id) }),
    }),
    route({
      method: 'POST',
      url: '/api/v1/spaces/:id/requests/:userId',
      operationId: 'answerRequest',
      summary: 'Accept or decline a request to speak (host or co-host)',
      tag: 'stage',
      auth: 'required',
      params: SpaceUserParams,
      body: AnswerBody,
      response: NO_CONTENT,
      errors: [...MODERATION_ERRORS, 'not_found', 'speaker_limit'],
      handler: ({ caller, params, body }) => s.answerRequest(caller, params.id, params.userId, body.accept),
    }),
    route({
      method: 'POST',
      url: '/api/v1/spaces/:id/invitation',
      operationId: 'answerInvitation',
      summary: 'Accept or decline my invitation to speak',
      tag: 'stage',
      auth: 'required',
      params: IdParams,
      body: AnswerBody,
      response: NO_CONTENT,
      errors: ['not_found', 'speaker_limit', 'removed_from_space', 'blocked_by_host'],
      handler: ({ caller, params, body }) => s.answerInvitation(caller, params.id, body.accept),
    }),
  ];
}
