/**
 * WHIP (RFC 9725) for speakers: POST an SDP offer, get the answer and a session URL; DELETE it to stop.
 * Only the host, co-hosts and speakers of a live space publish. The same connection carries back
 * everyone else's voices (mix-minus).
 */
import { z } from 'zod';
import { route, type RouteDef } from '../Route.js';
import { IdParams, Id } from '../../contract/rest.js';
import { Access } from '../../control/Access.js';
import type { ControlPlane } from '../../control/ControlPlane.js';
import { RostraError } from '../../errors/index.js';
import type { MediaPlane } from '../../media/MediaPlane.js';

/** An SDP offer larger than this is refused before parsing (a real one is 2–6 KiB). */
export const MAX_SDP_BYTES = 16 * 1024;

export function whipRoutes(plane: ControlPlane, media: MediaPlane): RouteDef[] {
  const sessionUrl = (spaceId: string, sessionId: string) => `/api/v1/spaces/${spaceId}/whip/${sessionId}`;
  return [
    route({
      method: 'POST',
      url: '/api/v1/spaces/:id/whip',
      operationId: 'whipPublish',
      summary:
        'Publish your microphone to the stage (WHIP, RFC 9725); the answer also carries everyone else back',
      tag: 'stage',
      auth: 'required',
      params: IdParams,
      body: z.string().min(1).max(MAX_SDP_BYTES),
      consumes: ['application/sdp'],
      response: {
        status: 201,
        description: 'The SDP answer; `Location` is the session to DELETE',
        schema: z.string(),
        contentType: 'application/sdp',
      },
      errors: [
        'invalid_sdp',
        'unsupported_codec',
        'not_on_stage',
        'space_ended',
        'invalid_state',
        'removed_from_space',
        'unsupported_media_type',
        'payload_too_large',
        'rate_limited',
      ],
      handler: async ({ caller, params, body, reply }) => {
        // Per account (the per-address limit is counted at the door, before the body is read).
        if (caller) await plane.ctx.guard.limits.take([plane.ctx.guard.rules.whipAccount, caller.userId]);
        const { space, userId, muted } = await plane.stage.publisher(caller, params.id);
        const spaceMedia = await media.ensure(space, { stage: true });
        if (muted) spaceMedia.stage.mute(userId);
        else spaceMedia.stage.unmute(userId);
        const session = await spaceMedia.stage.addSpeaker(userId, body);
        // A mute or a removal may have been decided while the peer was being set up: read it again now that
        // the peer is in the room (later changes reach it through MediaPlane.syncStage).
        const now = await plane.stage.seat(space.id, userId);
        if (!now) {
          spaceMedia.stage.removeSpeaker(userId, 'removed', session.sessionId);
          throw new RostraError('not_on_stage', 'You are no longer on stage.');
        }
        if (now.muted) spaceMedia.stage.mute(userId);
        else spaceMedia.stage.unmute(userId);
        return reply
          .code(201)
          .header('content-type', 'application/sdp')
          .header('location', sessionUrl(space.id, session.sessionId))
          .header('cache-control', 'no-store')
          .send(session.answerSdp);
      },
    }),
    route({
      method: 'DELETE',
      url: '/api/v1/spaces/:id/whip/:sessionId',
      operationId: 'whipStop',
      summary: 'End your WHIP session (you stay on stage, without audio)',
      tag: 'stage',
      auth: 'required',
      params: z.object({ id: Id, sessionId: Id }).strict(),
      response: { status: 200, description: 'Ended' },
      errors: ['not_found'],
      handler: async ({ caller, params, reply }) => {
        const userId = Access.userOf(caller);
        const removed = media.get(params.id)?.stage.removeSpeaker(userId, 'left', params.sessionId) ?? false;
        if (!removed) throw new RostraError('not_found', 'There is no such WHIP session of yours.');
        return reply.code(200).header('cache-control', 'no-store').send();
      },
    }),
    route({
      method: 'PATCH',
      url: '/api/v1/spaces/:id/whip/:sessionId',
      operationId: 'whipTrickle',
      summary: 'Trickle ICE is not supported: send a complete offer (the answer is complete too)',
      tag: 'stage',
      auth: 'required',
      params: z.object({ id: Id, sessionId: Id }).strict(),
      response: { status: 405, description: 'Not supported' },
      errors: ['method_not_allowed'],
      handler: async () => {
        throw new RostraError('method_not_allowed', 'Trickle ICE is not supported; send a complete offer.');
      },
    }),
  ];
}
