/**
 * Clips over HTTP (recording/Clips.ts): make one of a live space (the last N seconds recorded) or of a
 * replay (any window), read it, list a space's, delete one (its maker, the host or a co-host), and the
 * audio file itself under /replay/{spaceId}/clips/, where the owner proxy forwards it to the node that
 * records a live space (OwnerProxy.ts forwards the POST there too).
 */
import { readFile } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import type { ControlPlane } from '../../control/ControlPlane.js';
import type { Caller } from '../../control/Context.js';
import {
  ClipListSchema,
  ClipParams,
  ClipSchema,
  IdParams,
  NewClipBody,
  type ClipView,
  type UserView,
} from '../../contract/rest.js';
import { RostraError } from '../../errors/index.js';
import type { Clips } from '../../recording/Clips.js';
import type { Recordings } from '../../recording/Recordings.js';
import type { Clip } from '../../store/index.js';
import { clipLinkPreview, type LinkPreview } from '../LinkPreview.js';
import { route, type RouteDef } from '../Route.js';

export interface ClipDeps {
  readonly plane: ControlPlane;
  readonly clips: Clips;
  /** Undefined on a node that records nothing: every clip request is then `no_recording`. */
  readonly recordings: Recordings | undefined;
}

export const clipAudioPath = (clip: Pick<Clip, 'id' | 'spaceId'>): string =>
  `/replay/${clip.spaceId}/clips/${clip.id}.m4a`;
export const clipPagePath = (clipId: string): string => `/c/${clipId}`;

/** Deleted means gone: a clip's file is cached for minutes at most, then revalidated. */
const CLIP_CACHE = 'public, max-age=300, must-revalidate';
const CLIP_FILE = /^([A-Za-z0-9_-]{1,64})\.m4a$/;

export function clipRoutes(deps: ClipDeps): RouteDef[] {
  const { plane, clips } = deps;

  /** Whether the caller may delete the clip: its maker, the space's host, or a co-host of it now. */
  const mayDelete = async (clip: Clip, caller: Caller): Promise<boolean> => {
    if (!caller) return false;
    if (clip.creatorId === caller.userId) return true;
    const space = await plane.spaces.get(clip.spaceId);
    const relation = await plane.access.relation(space, caller.userId);
    return relation === 'host' || relation === 'cohost';
  };

  const viewOf = async (clip: Clip, caller: Caller, creators?: Map<string, UserView>): Promise<ClipView> => {
    const space = await plane.spaces.view(clip.spaceId);
    let creator: UserView | null = null;
    if (clip.creatorId !== null) {
      const known = creators?.get(clip.creatorId);
      const u = known ?? (await plane.ctx.store.users.byId(clip.creatorId));
      if (u) creator = { id: u.id, handle: u.handle, displayName: u.displayName };
    }
    const { publicUrl } = plane.ctx.config;
    return {
      id: clip.id,
      spaceId: clip.spaceId,
      spaceTitle: space.title,
      host: { id: space.host.id, handle: space.host.handle, displayName: space.host.displayName },
      creator,
      startSeconds: clip.startSeconds,
      durationSeconds: Math.round((clip.endSeconds - clip.startSeconds) * 1000) / 1000,
      codec: clip.codec,
      audioUrl: `${publicUrl}${clipAudioPath(clip)}`,
      pageUrl: `${publicUrl}${clipPagePath(clip.id)}`,
      createdAt: clip.createdAt,
      expiresAt: clip.expiresAt,
      canDelete: await mayDelete(clip, caller),
    };
  };

  return [
    route({
      method: 'POST',
      url: '/api/v1/spaces/:id/clips',
      operationId: 'createClip',
      summary:
        'Clip a space: the last 30 s recorded of a live space (any listener; anonymous ones show their ticket), ' +
        'or a window of its replay (startSeconds, durationSeconds 5 to 60)',
      tag: 'clips',
      auth: 'optional',
      params: IdParams,
      body: NewClipBody,
      response: { status: 201, description: 'The clip, with its page and audio URLs', schema: ClipSchema },
      errors: [
        'validation_failed',
        'clip_out_of_range',
        'invalid_token',
        'invalid_ticket',
        'removed_from_space',
        'blocked_by_host',
        'space_not_found',
        'no_recording',
        'invalid_state',
      ],
      handler: async ({ caller, params, body, ip }) => {
        const { guard } = plane.ctx;
        // Here rather than at the door: on a non-owner node the request is forwarded before any handler
        // runs, so the limit is counted once, on the node that cuts the clip (the Bus shares the counts).
        await guard.limits.take(
          [guard.rules.clipIp, ip],
          ...(caller ? [[guard.rules.clipAccount, caller.userId] as const] : []),
        );
        const space = await plane.spaces.get(params.id);
        // Seconds the host cut from the start of the replay: a replay clip's start is in replay time.
        let trimSeconds = 0;
        if (space.state === 'live') {
          if (caller) await plane.access.assertWelcome(space, caller.userId);
          else if (!plane.ctx.tickets.check(body.ticket, space.id, plane.ctx.clock.now()))
            throw new RostraError('invalid_ticket', 'Listen to the space (or sign in) to clip it.');
        } else if (space.state === 'ended' || space.state === 'cancelled') {
          if (!deps.recordings || !space.record) throw new RostraError('no_recording');
          const status = await deps.recordings.replay(space.id);
          if (status.kind === 'finishing') {
            throw new RostraError('invalid_state', 'The recording is still being finished. Retry shortly.', {
              details: { reason: 'recording_finishing' },
            });
          }
          if (status.kind === 'none') throw new RostraError('no_recording');
          trimSeconds = status.recording.trimStartSeconds;
        } else {
          throw new RostraError('invalid_state', `The space is ${space.state}; nothing is recorded yet.`);
        }
        if (!space.record || !deps.recordings) throw new RostraError('no_recording');
        const clip = await clips.create({
          spaceId: space.id,
          startSeconds: body.startSeconds,
          trimSeconds,
          durationSeconds: body.durationSeconds,
          creatorId: caller?.userId ?? null,
        });
        return viewOf(clip, caller);
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/clips/:clipId',
      operationId: 'getClip',
      summary: 'A clip: its space, who made it, its length and its audio URL',
      tag: 'clips',
      auth: 'optional',
      params: ClipParams,
      response: { status: 200, description: 'The clip', schema: ClipSchema },
      errors: ['invalid_token', 'clip_not_found', 'clip_gone'],
      handler: async ({ caller, params }) => viewOf(await clips.get(params.clipId), caller),
    }),
    route({
      method: 'DELETE',
      url: '/api/v1/clips/:clipId',
      operationId: 'deleteClip',
      summary: 'Delete a clip for good (its maker, the host or a co-host of its space)',
      tag: 'clips',
      auth: 'required',
      params: ClipParams,
      response: { status: 204, description: 'Deleted: its page answers 410, its file 404' },
      errors: ['unauthenticated', 'invalid_token', 'not_clip_owner', 'clip_not_found', 'clip_gone'],
      handler: async ({ caller, params }) => {
        const clip = await clips.get(params.clipId);
        if (!(await mayDelete(clip, caller))) throw new RostraError('not_clip_owner');
        await clips.delete(clip.id);
      },
    }),
    route({
      method: 'GET',
      url: '/api/v1/spaces/:id/clips',
      operationId: 'listClips',
      summary: 'The clips of a space that exist now, newest first (at most 50)',
      tag: 'clips',
      auth: 'optional',
      params: IdParams,
      response: { status: 200, description: 'The clips', schema: ClipListSchema },
      errors: ['invalid_token', 'space_not_found'],
      handler: async ({ caller, params }) => {
        await plane.spaces.get(params.id);
        const list = await clips.list(params.id);
        const ids = [...new Set(list.flatMap((c) => (c.creatorId === null ? [] : [c.creatorId])))];
        const creators = new Map((await plane.ctx.store.users.byIds(ids)).map((u) => [u.id, u]));
        return { clips: await Promise.all(list.map((c) => viewOf(c, caller, creators))) };
      },
    }),
  ];
}

/** The link-preview card of a clip's page (an unknown, deleted or expired clip: a coded error, no card). */
export function clipPreviewSource(
  deps: Pick<ClipDeps, 'plane' | 'clips'>,
): (clipId: string) => Promise<LinkPreview | undefined> {
  return async (clipId) => {
    const clip = await deps.clips.get(clipId);
    const { publicUrl } = deps.plane.ctx.config;
    return clipLinkPreview(
      await deps.plane.spaces.view(clip.spaceId),
      {
        id: clip.id,
        durationSeconds: clip.endSeconds - clip.startSeconds,
        audioUrl: `${publicUrl}${clipAudioPath(clip)}`,
      },
      publicUrl,
    );
  };
}

/**
 * The clip's audio: `/replay/{spaceId}/clips/{clipId}.m4a`. Its row is read on every request (deleted or
 * expired: 404 at once); the file is on the disk of the node that cut it (shared storage in a cluster, or
 * the owner, to which the proxy forwards while the space is live).
 */
export function registerClipFiles(app: FastifyInstance, deps: Pick<ClipDeps, 'clips'>): void {
  app.get<{ Params: { id: string; file: string } }>('/replay/:id/clips/:file', async (request, reply) => {
    const m = CLIP_FILE.exec(request.params.file);
    if (!m) throw new RostraError('not_found');
    let clip: Clip;
    try {
      clip = await deps.clips.get(m[1] as string);
    } catch (err) {
      if (err instanceof RostraError && err.status < 500) throw new RostraError('not_found');
      throw err;
    }
    const path = deps.clips.fileOf(clip);
    if (clip.spaceId !== request.params.id || !path) throw new RostraError('not_found');
    let body: Buffer;
    try {
      body = await readFile(path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new RostraError('not_found');
      throw err;
    }
    // The file never changes under its id: its id is its ETag.
    const etag = `"${clip.id}"`;
    void reply
      .header('content-type', 'audio/mp4')
      .header('cache-control', CLIP_CACHE)
      .header('etag', etag)
      .header('accept-ranges', 'bytes')
      .header('access-control-allow-origin', '*');
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();
    // Safari plays media only from a server that answers byte ranges (a clip is small: sliced in memory).
    const range = byteRange(request.headers.range, body.length);
    if (range === 'unsatisfiable')
      return reply.code(416).header('content-range', `bytes */${body.length}`).send();
    if (range) {
      const [from, to] = range;
      return reply
        .code(206)
        .header('content-range', `bytes ${from}-${to}/${body.length}`)
        .send(body.subarray(from, to + 1));
    }
    return reply.send(body);
  });
}

/** One `bytes=` range (RFC 9110 14.1.2) as inclusive offsets; undefined: the whole file. */
function byteRange(header: string | undefined, size: number): [number, number] | 'unsatisfiable' | undefined {
  const m = header === undefined ? null : /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined; // absent, several ranges or malformed: all
  if (m[1] === '') {
    const suffix = Number(m[2]);
    return suffix === 0 ? 'unsatisfiable' : [Math.max(0, size - suffix), size - 1];
  }
  const from = Number(m[1]);
  const to = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  return from >= size || from > to ? 'unsatisfiable' : [from, to];
}
