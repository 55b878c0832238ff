/**
 * A recording's AAC-LC rendition, beside the Opus one: a second Recorder writes the AAC packager's parts
 * into `<recording>/aac/` with the same journal, recovery and VOD playlist (so `aac/index.m3u8` is the
 * replay Safari plays), and the whole of it can be downloaded as one `.m4a` (M4aFile.ts), built on the
 * first request and kept beside the segments.
 *
 *   <recordingsDir>/<spaceId>/aac/init.mp4, seg<msn>.m4s, journal.ndjson, index.m3u8, finished.json
 *                                 recording.m4a   built on first download
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { logger } from '../log/Logger.js';
import { m4aFile, readFragments, type AacSamples } from './M4aFile.js';
import { AAC_CUT_TOLERANCE_SECONDS, trimmedPlaylist } from './ReplayTrim.js';
import {
  PLAYLIST_FILE,
  finishDir,
  isUnfinished,
  readFinished,
  recoverDir,
  writeAtomic,
} from './recordingFiles.js';

const log = logger('recording.aac');

export const AAC_DIR = 'aac';
export const M4A_FILE = 'recording.m4a';

export const aacDirOf = (dir: string): string => join(dir, AAC_DIR);

/** Finishes the AAC rendition of an interrupted recording (call before finishing the Opus one). */
export async function finishAacDir(dir: string): Promise<void> {
  const aac = aacDirOf(dir);
  if (await isUnfinished(aac)) await finishDir(aac, await recoverDir(aac));
}

/** Whether a finished recording has a playable AAC rendition. */
export async function hasAacReplay(dir: string): Promise<boolean> {
  return (await readFinished(aacDirOf(dir))) !== undefined;
}

const building = new Map<string, Promise<string | undefined>>();

/**
 * The path of the recording's `.m4a`, built from the finished AAC rendition the first time it is asked
 * for (atomically, so a reader never sees half a file); undefined when there is no AAC rendition.
 * `fromSeconds`: the replay's trim (ReplayTrim.ts); a trimmed replay's file is built beside the whole one.
 */
export function ensureM4a(dir: string, fromSeconds = 0): Promise<string | undefined> {
  const key = `${dir}\n${fromSeconds}`;
  let pending = building.get(key);
  if (!pending) {
    pending = buildM4a(dir, fromSeconds).finally(() => building.delete(key));
    building.set(key, pending);
  }
  return pending;
}

async function buildM4a(dir: string, fromSeconds: number): Promise<string | undefined> {
  const aac = aacDirOf(dir);
  const name = fromSeconds > 0 ? `recording-from${Math.round(fromSeconds * 1000)}ms.m4a` : M4A_FILE;
  const path = join(aac, name);
  if (!(await hasAacReplay(dir))) return undefined;
  try {
    await stat(path);
    return path;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const playlist =
    fromSeconds > 0
      ? await trimmedPlaylist(aac, fromSeconds, AAC_CUT_TOLERANCE_SECONDS)
      : await readFile(join(aac, PLAYLIST_FILE), 'utf8');
  if (playlist === undefined) return undefined;
  const samples: AacSamples = { sizes: [], durations: [], data: [] };
  for (const uri of playlist.split('\n').filter((l) => l !== '' && !l.startsWith('#'))) {
    if (!/^seg\d{1,9}\.m4s$/.test(uri)) throw new TypeError(`unexpected segment URI ${uri}`);
    readFragments(await readFile(join(aac, uri)), samples);
  }
  if (samples.sizes.length === 0) return undefined;
  const seconds = samples.durations.reduce((a, b) => a + b, 0) / 48_000;
  const bytes = samples.sizes.reduce((a, b) => a + b, 0);
  const bitrate = Math.max(1, Math.round((bytes * 8) / Math.max(seconds, 1e-3)));
  await writeAtomic(aac, name, m4aFile(samples, bitrate));
  log.info({ dir, seconds: Math.round(seconds) }, 'built the recording’s .m4a');
  return path;
}
