/**
 * At node start (and on each retention sweep): recordings left unfinished by a crash or a kill. Those whose
 * space is no longer live are finished now, so their replay becomes available; live ones are left alone, to
 * be resumed when the space's media starts again on this node.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { logger } from '../log/Logger.js';
import { ID_PATTERN } from '../util/ids.js';
import { finishDir, isUnfinished, recoverDir } from './recordingFiles.js';
import { finishAacDir } from './AacRecording.js';

const log = logger('recording.recover');

export interface RecoverOptions {
  readonly recordingsDir: string;
  /** Whether the space is still live (or being recorded right now): then its recording is not touched. */
  readonly isLive: (spaceId: string) => Promise<boolean>;
}

export interface RecoveredRecording {
  readonly spaceId: string;
  readonly durationSeconds: number;
  readonly finishedAtMs: number;
}

/** Finishes interrupted recordings of spaces that are not live; returns them. One failure skips only that one. */
export async function recoverInterrupted(opts: RecoverOptions): Promise<RecoveredRecording[]> {
  let names: string[];
  try {
    names = await readdir(opts.recordingsDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  const finished: RecoveredRecording[] = [];
  for (const spaceId of names) {
    if (!ID_PATTERN.test(spaceId)) continue;
    const dir = join(opts.recordingsDir, spaceId);
    try {
      if (!(await isUnfinished(dir)) || (await opts.isLive(spaceId))) continue;
      await finishAacDir(dir); // before the Opus marker, which makes the replay (and its AAC) available
      const marker = await finishDir(dir, await recoverDir(dir));
      log.info({ spaceId, seconds: marker.durationSeconds }, 'finished an interrupted recording');
      finished.push({ spaceId, ...marker });
    } catch (err) {
      log.error({ err, spaceId }, 'could not recover a recording');
    }
  }
  return finished;
}
