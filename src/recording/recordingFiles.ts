/**
 * A recording directory on disk, and the two operations that do not need a live packager: recovering it to
 * what its journal proves (after a crash), and finishing it (VOD playlist + finished marker).
 *
 *   <recordingsDir>/<spaceId>/init.mp4        the EXT-X-MAP (init<n>.mp4 if a resumed session's differs)
 *                            seg<msn>.m4s     a segment: its parts' moof+mdat concatenated
 *                            journal.ndjson   append-only, see RecordingJournal.ts
 *                            index.m3u8       the replay (VOD, ENDLIST), written at finish
 *                            finished.json    the finished marker, written last: its presence = replayable
 */
import { constants } from 'node:fs';
import { open, readFile, readdir, rename, stat, truncate, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { logger } from '../log/Logger.js';
import {
  JOURNAL_FILE,
  durationSeconds,
  foldJournal,
  parseJournal,
  type RecordingState,
} from './RecordingJournal.js';
import { renderReplayPlaylist } from './ReplayPlaylist.js';

const log = logger('recording.files');

export const PLAYLIST_FILE = 'index.m3u8';
export const FINISHED_FILE = 'finished.json';
const SEGMENT_FILE = /^seg(\d{1,9})\.m4s$/;

export interface FinishedMarker {
  readonly durationSeconds: number;
  readonly finishedAtMs: number;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** fsync of a directory makes a new (or renamed) entry in it survive power loss. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Writes a whole file so that readers see the old one or the new one, never a part (temp + rename). */
export async function writeAtomic(dir: string, name: string, data: string | Uint8Array): Promise<void> {
  const tmp = join(dir, `.${name}.tmp`);
  const handle = await open(tmp, 'w');
  try {
    await handle.writeFile(data);
    await handle.datasync();
  } finally {
    await handle.close();
  }
  await rename(tmp, join(dir, name));
  await syncDir(dir);
}

export async function readFinished(dir: string): Promise<FinishedMarker | undefined> {
  try {
    return JSON.parse(await readFile(join(dir, FINISHED_FILE), 'utf8')) as FinishedMarker;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** A directory that has a journal and no finished marker: recording, or interrupted by a crash. */
export async function isUnfinished(dir: string): Promise<boolean> {
  return (await exists(join(dir, JOURNAL_FILE))) && !(await exists(join(dir, FINISHED_FILE)));
}

/**
 * Brings a recording directory back to exactly what its journal proves: drops a torn journal tail, cuts
 * each segment file to the end of its last journaled part, and removes segment files nothing journaled.
 * Idempotent; call it only when no Recorder has the directory open.
 */
export async function recoverDir(dir: string): Promise<RecordingState> {
  const journalPath = join(dir, JOURNAL_FILE);
  let text = '';
  try {
    text = await readFile(journalPath, 'latin1');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const parsed = parseJournal(text);
  const names = await readdir(dir).catch(() => [] as string[]);
  const sizes = new Map<number, number>();
  for (const name of names) {
    const m = SEGMENT_FILE.exec(name);
    if (m) sizes.set(Number(m[1]), (await stat(join(dir, name))).size);
  }
  const state = foldJournal(parsed.lines, (msn) => sizes.get(msn) ?? 0);
  const keepBytes = state.linesUsed === 0 ? 0 : (parsed.lineEnds[state.linesUsed - 1] ?? 0);
  if (keepBytes < text.length) {
    log.warn({ dir, dropped: text.length - keepBytes }, 'journal had a torn or unbacked tail; dropped it');
    await truncate(journalPath, keepBytes);
  }
  for (const [msn, size] of sizes) {
    const want = state.segmentBytes.get(msn);
    if (want === undefined) await unlink(join(dir, `seg${msn}.m4s`));
    else if (size > want) await truncate(join(dir, `seg${msn}.m4s`), want);
  }
  return state;
}

/**
 * Writes the VOD playlist, then the finished marker (each atomically), from a recovered state. A crash in
 * between leaves no marker, so the next start finishes it again: the same bytes.
 */
export async function finishDir(
  dir: string,
  state: RecordingState,
  nowMs = Date.now(),
): Promise<FinishedMarker> {
  const marker: FinishedMarker = { durationSeconds: durationSeconds(state), finishedAtMs: nowMs };
  await writeAtomic(dir, PLAYLIST_FILE, renderReplayPlaylist(state.sessions));
  await writeAtomic(dir, FINISHED_FILE, JSON.stringify(marker) + '\n');
  return marker;
}
