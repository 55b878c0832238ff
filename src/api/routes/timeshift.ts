/**
 * Time-shift: a listener who arrives late starts from the beginning while the space is still live. The
 * recording so far, as an EVENT playlist (RFC 8216bis 4.4.3.5: segments are only ever added), from the
 * recorder's journal: only segments already synced to disk are listed, so every listed file is complete
 * and immutable. Served under /replay/{id}/, so in a cluster the owner proxy forwards it to the node that
 * records the space, like the live media.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import type { ControlPlane } from '../../control/ControlPlane.js';
import { RostraError } from '../../errors/index.js';
import { foldJournal, JOURNAL_FILE, parseJournal } from '../../recording/RecordingJournal.js';
import type { Recordings } from '../../recording/Recordings.js';
import { renderReplayPlaylist } from '../../recording/ReplayPlaylist.js';
import { TtlCache } from '../../util/TtlCache.js';

export const timeShiftPlaylistPath = (spaceId: string): string => `/replay/${spaceId}/event.m3u8`;

const FILE = /^(init\d{0,6}\.mp4|seg(\d{1,9})\.m4s)$/;
/** A crowd asking at once reads the journal once per second per space. */
const JOURNAL_CACHE_MS = 1000;

interface Synced {
  playlist: string;
  segments: Set<number>;
  inits: Set<string>;
}

export function registerTimeShift(
  app: FastifyInstance,
  deps: { plane: Pick<ControlPlane, 'spaces'>; recordings: Recordings },
): void {
  const cache = new TtlCache<string, Synced>(JOURNAL_CACHE_MS);

  const synced = async (spaceId: string): Promise<{ dir: string; s: Synced }> => {
    const space = await deps.plane.spaces.get(spaceId);
    if (space.state !== 'live')
      throw new RostraError('invalid_state', 'Time-shift is for a live space; an ended one has its replay.');
    const dir = deps.recordings.dirOf(spaceId);
    if (!dir || !space.record) throw new RostraError('not_found', 'This space is not recorded.');
    const now = Date.now();
    const hit = cache.get(spaceId, now);
    if (hit) return { dir, s: hit };
    let text: string;
    try {
      text = await readFile(join(dir, JOURNAL_FILE), 'latin1');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        throw new RostraError('not_found', 'Nothing is recorded yet. Retry in a few seconds.');
      throw err;
    }
    const { lines } = parseJournal(text);
    const done = new Set(lines.flatMap((l) => (l.type === 'segment' ? [l.msn] : [])));
    const sessions = foldJournal(lines)
      .sessions.map((s) => ({ ...s, segments: s.segments.filter((seg) => done.has(seg.msn)) }))
      .filter((s) => s.segments.length > 0);
    const playlist = renderReplayPlaylist(sessions)
      .replace('#EXT-X-PLAYLIST-TYPE:VOD', '#EXT-X-PLAYLIST-TYPE:EVENT')
      .replace('#EXT-X-ENDLIST\n', '')
      .replace(/URI="([^"]+)"/g, 'URI="event/$1"')
      .replace(/^(seg\d+\.m4s)$/gm, 'event/$1');
    const s: Synced = { playlist, segments: done, inits: new Set(sessions.map((x) => x.init)) };
    cache.set(spaceId, s, now);
    return { dir, s };
  };

  app.get<{ Params: { id: string } }>('/replay/:id/event.m3u8', async (request, reply) => {
    const { s } = await synced(request.params.id);
    return reply
      .header('content-type', 'application/vnd.apple.mpegurl')
      .header('cache-control', 'public, max-age=1')
      .send(s.playlist);
  });

  app.get<{ Params: { id: string; file: string } }>('/replay/:id/event/:file', async (request, reply) => {
    const { id, file } = request.params;
    const m = FILE.exec(file);
    if (!m) throw new RostraError('not_found');
    const { dir, s } = await synced(id);
    const listed = m[2] !== undefined ? s.segments.has(Number(m[2])) : s.inits.has(file);
    if (!listed) throw new RostraError('not_found', 'That part of the recording is not written yet.');
    let body: Buffer;
    try {
      body = await readFile(join(dir, file));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new RostraError('not_found');
      throw err;
    }
    // A synced segment never changes again: it is the replay's own file once the space ends.
    return reply
      .header('content-type', 'audio/mp4')
      .header('cache-control', 'public, max-age=3600')
      .send(body);
  });
}
