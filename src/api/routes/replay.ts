/**
 * Replay over HTTP: the JSON routes (declared like every API route, so they reach the OpenAPI document)
 * and the raw file routes under /replay/:id/ that players and edge caches read.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { renderMultivariantPlaylist } from '../../broadcast/index.js';
import { aacDirOf, ensureM4a, hasAacReplay } from '../../recording/AacRecording.js';
import { route, type RouteDef } from '../Route.js';
import { IdParams, ReplaySchema, TrimBody } from '../../contract/rest.js';
import type { Recording } from '../../store/index.js';
import { AAC_CUT_TOLERANCE_SECONDS, trimmedPlaylist } from '../../recording/ReplayTrim.js';
import type { ControlPlane } from '../../control/ControlPlane.js';
import { RostraError } from '../../errors/index.js';
import { readFinished } from '../../recording/recordingFiles.js';
import type { Recordings } from '../../recording/Recordings.js';

export interface ReplayDeps {
  readonly plane: Pick<ControlPlane, 'spaces' | 'access'>;
  readonly recordings: Recordings;
}

export const replayPlaylistPath = (spaceId: string): string => `/replay/${spaceId}/index.m3u8`;
/** Both renditions, when the recording has its AAC one. */
const REPLAY_MULTIVARIANT = 'main.m3u8';
/** The recording as one .m4a. */
const DOWNLOAD_FILE = 'recording.m4a';
/** Advertised peak bits per second of the replay's variants (default encoder rates plus fMP4 framing). */
const REPLAY_BANDWIDTH = { opus: 40_000, aac: 60_000 };

/**
 * Deleted means gone (the guard, docs/guard.md): replay files are cached for minutes, not a year, and
 * revalidated with an ETag (a 304 costs a cache almost nothing). Their URLs are guessable from the space
 * id, which is public anyway; a short lifetime bounds how long any cache can keep a deleted replay.
 */
const REPLAY_MEDIA_CACHE = 'public, max-age=300, must-revalidate';
/** Short, so a replay the host deleted stops being offered by caches within a minute. */
const PLAYLIST_CACHE = 'public, max-age=60';

export function replayRoutes(deps: ReplayDeps): RouteDef[] {
  const { plane, recordings } = deps;
  /** The replay of a space that is over, or the coded reason there is none. */
  const ready = async (spaceId: string) => {
    const space = await plane.spaces.get(spaceId);
    if (space.state === 'live' || space.state === 'scheduled' || space.state === 'backstage') {
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
  /** The JSON view. A trimmed replay's URLs carry the cut, so no cache serves the old playlist after it. */
  const replayView = async (spaceId: string, recording: Recording) => {
    const dir = recordings.dirOf(spaceId);
    const aac = dir !== undefined && (await hasAacReplay(dir));
    const trim = recording.trimStartSeconds;
    const q = trim > 0 ? `?from=${trim}` : '';
    return {
      // With an AAC rendition, the multivariant playlist: Safari (iPhone) plays AAC, hls.js Opus.
      playlistUrl: (aac ? `/replay/${spaceId}/${REPLAY_MULTIVARIANT}` : replayPlaylistPath(spaceId)) + q,
      durationSeconds: recording.durationSeconds,
      plays: recording.plays,
      ...(aac ? { downloadUrl: `/replay/${spaceId}/${DOWNLOAD_FILE}${q}` } : {}),
      ...(trim > 0 ? { trimStartSeconds: trim } : {}),
    };
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
        return replayView(params.id, recording);
      },
    }),
    route({
      method: 'POST',
      url: '/api/v1/spaces/:id/replay/trim',
      operationId: 'trimReplay',
      summary:
        'Cut the start of the replay (host): it starts at the first segment boundary at or after ' +
        '`startSeconds` (in the recording’s own time; 0 undoes it). The files are kept; playlists, the ' +
        '.m4a and the duration follow',
      tag: 'replay',
      auth: 'required',
      params: IdParams,
      body: TrimBody,
      response: { status: 200, description: 'The trimmed replay', schema: ReplaySchema },
      errors: [
        'validation_failed',
        'invalid_trim',
        'not_host',
        'space_not_found',
        'invalid_state',
        'not_found',
      ],
      handler: async ({ caller, params, body }) => {
        const space = await plane.spaces.get(params.id);
        // Co-hosts' roles end with the space (its stage is cleared): the host alone edits the recording.
        plane.access.requireHost(space, caller);
        const { recording } = await ready(params.id);
        const cut = await recordings.trim(params.id, recording, body.startSeconds);
        const full = recording.durationSeconds + recording.trimStartSeconds;
        return replayView(params.id, { ...recording, trimStartSeconds: cut, durationSeconds: full - cut });
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
        if (space.state === 'live' || space.state === 'scheduled' || space.state === 'backstage') {
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
    if (file === 'index.m3u8') {
      const trim = await deps.recordings.trimOf(id);
      if (trim > 0) return sendTrimmedPlaylist(request, reply, await trimmedPlaylist(dir, trim));
    }
    return sendReplayFile(request, reply, dir, file);
  });
  // The AAC-LC rendition (recording/AacRecording.ts), once the recording (and so it) is finished.
  app.get<{ Params: { id: string; file: string } }>('/replay/:id/aac/:file', async (request, reply) => {
    const { id, file } = request.params;
    const dir = deps.recordings.dirOf(id);
    if (!dir || !FILE.test(file) || !(await readFinished(dir)) || !(await hasAacReplay(dir)))
      throw new RostraError('not_found');
    if (file === 'index.m3u8') {
      const trim = await deps.recordings.trimOf(id);
      if (trim > 0) {
        const text = await trimmedPlaylist(aacDirOf(dir), trim, AAC_CUT_TOLERANCE_SECONDS);
        return sendTrimmedPlaylist(request, reply, text);
      }
    }
    return sendReplayFile(request, reply, aacDirOf(dir), file);
  });
  // Both renditions: AAC-LC first, for Safari's native HLS (as the live multivariant playlist).
  app.get<{ Params: { id: string } }>(`/replay/:id/${REPLAY_MULTIVARIANT}`, async (request, reply) => {
    const dir = deps.recordings.dirOf(request.params.id);
    if (!dir || !(await readFinished(dir)) || !(await hasAacReplay(dir))) throw new RostraError('not_found');
    // A trimmed replay's media playlists carry the cut in their URLs (the caches' keys).
    const trim = await deps.recordings.trimOf(request.params.id);
    const q = trim > 0 ? `?from=${trim}` : '';
    const text = renderMultivariantPlaylist({
      mediaUri: `index.m3u8${q}`,
      bandwidth: REPLAY_BANDWIDTH.opus,
      aac: { mediaUri: `aac/index.m3u8${q}`, bandwidth: REPLAY_BANDWIDTH.aac },
    });
    return reply
      .header('content-type', 'application/vnd.apple.mpegurl')
      .header('cache-control', PLAYLIST_CACHE)
      .header('access-control-allow-origin', '*')
      .send(text);
  });
  // The whole recording as one .m4a (AAC-LC) for music apps; built on the first request.
  app.get<{ Params: { id: string } }>(`/replay/:id/${DOWNLOAD_FILE}`, async (request, reply) => {
    const { id } = request.params;
    const dir = deps.recordings.dirOf(id);
    if (!dir || !(await readFinished(dir))) throw new RostraError('not_found');
    const path = await ensureM4a(dir, await deps.recordings.trimOf(id));
    if (!path) throw new RostraError('not_found', 'This recording has no AAC rendition to download.');
    return reply
      .header('content-type', 'audio/mp4')
      .header('content-disposition', `attachment; filename="rostra-${id}.m4a"`)
      .header('cache-control', REPLAY_MEDIA_CACHE)
      .header('access-control-allow-origin', '*')
      .send(createReadStream(path));
  });
}

/** A trimmed replay's playlist, rendered from its journal (ReplayTrim.ts), revalidated by ETag. */
function sendTrimmedPlaylist(
  request: FastifyRequest,
  reply: FastifyReply,
  text: string | undefined,
): FastifyReply {
  if (text === undefined) throw new RostraError('not_found');
  const etag = `"${createHash('sha1').update(text).digest('base64url').slice(0, 16)}"`;
  void reply
    .header('content-type', 'application/vnd.apple.mpegurl')
    .header('cache-control', PLAYLIST_CACHE)
    .header('etag', etag)
    .header('access-control-allow-origin', '*');
  if (request.headers['if-none-match'] === etag) return reply.code(304).send();
  return reply.send(text);
}

/** A replay file from `dir` (the recording, or its aac/), revalidated by ETag. */
async function sendReplayFile(
  request: FastifyRequest,
  reply: FastifyReply,
  dir: string,
  file: string,
): Promise<FastifyReply> {
  let body: Buffer;
  try {
    body = await readFile(join(dir, file));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new RostraError('not_found');
    throw err;
  }
  const playlist = file.endsWith('.m3u8');
  const etag = `"${createHash('sha1').update(body).digest('base64url').slice(0, 16)}"`;
  void reply
    .header('content-type', playlist ? 'application/vnd.apple.mpegurl' : 'audio/mp4')
    .header('cache-control', playlist ? PLAYLIST_CACHE : REPLAY_MEDIA_CACHE)
    .header('etag', etag)
    .header('access-control-allow-origin', '*');
  if (request.headers['if-none-match'] === etag) return reply.code(304).send();
  return reply.send(body);
}
