/**
 * Replay over HTTP: the JSON routes (declared like every API route, so they reach the OpenAPI document)
 * and the raw file routes under /replay/:id/ that players and edge caches read.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { route, type RouteDef } from '../Route.js';
import { IdParams } from '../schemas.js';
import type { ControlPlane } from '../../control/ControlPlane.js';
import { RostraError } from '../../errors/index.js';
import { readFinished } from '../../recording/recordingFiles.js';
import type { Recordings } from '../../recording/Recordings.js';

export interface ReplayDeps {
  readonly plane: Pick<ControlPlane, 'spaces' | 'access'>;
  readonly recordings: Recordings;
}

export const replayPlaylistPath = (spaceId: string): string => `/replay/${spaceId}/index.m3u8`;

export const ReplaySchema = z.object({
  playlistUrl: z.string(),
  durationSeconds: z.number(),
  plays: z.number().int(),
});

/** Media files never change once written; a deletion takes effect at the edge when the playlist expires. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** Short, so a replay the host deleted stops being offered by caches within a minute. */
const PLAYLIST_CACHE = 'public, max-age=60';

export function replayRoutes(deps: ReplayDeps): RouteDef[] {
  const { plane, recordings } = deps;
  /** The replay of a space that is over, or the coded reason there is none. */
  const ready = async (spaceId: string) => {
    const space = await plane.spaces.get(spaceId);
    if (space.state === 'live' || space.state === 'scheduled') {
      throw new RostraError('invalid_state', `The space is ${space.state}; its replay comes after it ends.`);
    }
    const status = await recordings.replay(spaceId);
    if (status.kind === 'finishing') {
      throw new RostraError(
        'invalid_state',
        'The recording is still being finished. Retry in a few seconds.',
        {
          details: { reason: 'recording_finishing' },
        },
      );
    }
    if (status.kind === 'none') throw new RostraError('not_found', 'This space has no replay.');
    return { space, recording: status.recording };
  };
  return [
    route({
      method: 'GET',
      url: '/api/v1/spaces/:id/replay',
      operationId: 'getReplay',
      summary: 'The replay of an ended space: its VOD playlist, duration and play count',
      tag: 'replay',
      auth: 'none',
      params: IdParams,
      response: { status: 200, description: 'The replay', schema: ReplaySchema },
      errors: ['space_not_found', 'invalid_state', 'not_found'],
      handler: async ({ params, reply }) => {
        const { recording } = await ready(params.id);
        void reply.header('cache-control', 'public, max-age=2');
        return {
          playlistUrl: replayPlaylistPath(params.id),
          durationSeconds: recording.durationSeconds,
          plays: recording.plays,
        };
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/spaces/:id/replay/plays',
      operationId: 'countReplayPlay',
      summary: 'Count one play of the replay',
      tag: 'replay',
      auth: 'none',
      params: IdParams,
      response: { status: 204, description: 'Counted' },
      errors: ['space_not_found', 'invalid_state', 'not_found'],
      handler: async ({ params }) => {
        await ready(params.id);
        if ((await recordings.incrementPlays(params.id)) === undefined) throw new RostraError('not_found');
      },
    }),
    route({
      method: 'DELETE',
      url: '/api/v1/spaces/:id/replay',
      operationId: 'deleteReplay',
      summary: 'Delete the replay for good (host)',
      tag: 'replay',
      auth: 'required',
      params: IdParams,
      response: { status: 204, description: 'Deleted' },
      errors: ['not_host', 'space_not_found', 'invalid_state', 'not_found'],
      handler: async ({ caller, params }) => {
        const space = await plane.spaces.get(params.id);
        plane.access.requireHost(space, caller);
        if (space.state === 'live' || space.state === 'scheduled') {
          throw new RostraError('invalid_state', 'End the space before deleting its recording.');
        }
        if (!(await recordings.delete(params.id)))
          throw new RostraError('not_found', 'This space has no replay.');
      },
    }),
  ];
}

const FILE = /^(index\.m3u8|init\d{0,6}\.mp4|seg\d{1,9}\.m4s)$/;

/**
 * The replay's files. Served from this node's disk and only once finished (the marker exists); no database
 * read per request, so an edge in front carries the load. No ticket: a replay is public like the space.
 */
export function registerReplayFiles(app: FastifyInstance, deps: Pick<ReplayDeps, 'recordings'>): void {
  app.get<{ Params: { id: string; file: string } }>('/replay/:id/:file', async (request, reply) => {
    const { id, file } = request.params;
    const dir = deps.recordings.dirOf(id);
    if (!dir || !FILE.test(file) || !(await readFinished(dir))) throw new RostraError('not_found');
    let body: Buffer;
    try {
      body = await readFile(join(dir, file));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new RostraError('not_found');
      throw err;
    }
    const playlist = file.endsWith('.m3u8');
    return reply
      .header('content-type', playlist ? 'application/vnd.apple.mpegurl' : 'audio/mp4')
      .header('cache-control', playlist ? PLAYLIST_CACHE : IMMUTABLE)
      .header('access-control-allow-origin', '*')
      .send(body);
  });
}
