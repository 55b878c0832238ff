/** Profile photos (upload, remove, serve) and the faces of a space's audience. */
import type { ControlPlane } from '../../control/ControlPlane.js';
import { AVATAR_INPUT_TYPES } from '../../control/Avatars.js';
import { AvatarQuery, AvatarSchema, IdParams, ListenerFacesSchema } from '../../contract/rest.js';
import { RostraError } from '../../errors/index.js';
import { route, type RouteDef } from '../Route.js';

/** A versioned avatar URL never changes content: caches may keep it for a year. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Unversioned (or stale `?v=`): short, since the photo may change or go. */
const SHORT = 'public, max-age=60';

export function avatarRoutes(plane: ControlPlane): RouteDef[] {
  const { config } = plane.ctx;
  return [
    route({
      method: 'PUT',
      url: '/api/v1/me/avatar',
      operationId: 'setAvatar',
      summary:
        'Upload my profile photo: the raw PNG, JPEG or WebP as the body (its Content-Type). It is checked by ' +
        `its bytes (at most ${config.limits.avatarBytes} bytes), re-encoded to a 256×256 WebP without ` +
        'metadata, or refused',
      tag: 'accounts',
      auth: 'required',
      consumes: [...AVATAR_INPUT_TYPES],
      response: { status: 200, description: 'Stored; the new URL of my photo', schema: AvatarSchema },
      errors: ['invalid_image', 'payload_too_large', 'unsupported_media_type', 'server_busy'],
      handler: async ({ caller, request }) => {
        if (!caller) throw new RostraError('unauthenticated');
        // The parser hands images over as a Buffer; JSON or text lands here as something else.
        if (!Buffer.isBuffer(request.body)) {
          throw new RostraError(
            'unsupported_media_type',
            `Send the image itself as the body, with Content-Type ${AVATAR_INPUT_TYPES.join(', ')}.`,
          );
        }
        return plane.avatars.upload(caller.userId, request.body);
      },
    }),
    route({
      method: 'DELETE',
      url: '/api/v1/me/avatar',
      operationId: 'removeAvatar',
      summary: 'Remove my profile photo (coloured initials show instead)',
      tag: 'accounts',
      auth: 'required',
      response: { status: 204, description: 'Removed' },
      errors: ['not_found'],
      handler: async ({ caller }) => {
        if (!caller) throw new RostraError('unauthenticated');
        await plane.avatars.remove(caller.userId);
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/users/:id/avatar',
      operationId: 'getAvatar',
      summary:
        "A user's profile photo (WebP, 256×256). With the `?v=` of their avatarUrl it is immutable; " +
        'revalidate with the ETag otherwise',
      tag: 'accounts',
      auth: 'none',
      params: IdParams,
      query: AvatarQuery,
      response: { status: 200, description: 'The photo', contentType: 'image/webp' },
      errors: ['not_found'],
      handler: async ({ params, query, request, reply }) => {
        const avatar = await plane.avatars.get(params.id);
        const etag = `"${avatar.version}"`;
        void reply
          .header('etag', etag)
          .header('cache-control', query.v === avatar.version ? IMMUTABLE : SHORT)
          .header('x-content-type-options', 'nosniff')
          .header('access-control-allow-origin', '*');
        if (request.headers['if-none-match'] === etag) return reply.code(304).send();
        return reply.code(200).type(avatar.contentType).send(Buffer.from(avatar.image));
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/spaces/:id/faces',
      operationId: 'listenerFaces',
      summary:
        'Faces of the audience: up to 48 signed-in listeners (not those on stage) and how many others listen. ' +
        'The same for everyone; cacheable for 2 s',
      tag: 'audience',
      auth: 'none',
      params: IdParams,
      response: { status: 200, description: 'Faces and the rest', schema: ListenerFacesSchema },
      errors: ['space_not_found'],
      handler: async ({ params, reply }) => {
        const space = await plane.spaces.get(params.id);
        void reply.header('cache-control', 'public, max-age=2');
        if (space.state !== 'live') return { faces: [], count: 0, others: 0 };
        return plane.faces.faces(params.id);
      },
    }),
  ];
}
