/**
 * A node's recordings: one Recorder per live recorded space it originates, the rows in the Store, crash
 * recovery at start, retention, and deletion. The MediaPlane's hooks drive it (see the wiring in
 * docs/architecture.md): `started` when a space's media is created, `ended` when the space ends, `stopped`
 * when the node shuts down while the space is live (it resumes after the restart).
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Space } from '../domain/types.js';
import { logger } from '../log/Logger.js';
import type { Recording, Store } from '../store/index.js';
import { ID_PATTERN } from '../util/ids.js';
import { Recorder, type RecordablePackager } from './Recorder.js';
import { finishDir, isUnfinished, readFinished, recoverDir } from './recordingFiles.js';
import { recoverInterrupted } from './recoverInterrupted.js';
import { aacDirOf, finishAacDir } from './AacRecording.js';
import { RetentionSweeper } from './RetentionSweeper.js';
import { MIN_TRIMMED_SECONDS, readRecordedSessions, trimSessions } from './ReplayTrim.js';
import { RostraError } from '../errors/index.js';
import { TtlCache } from '../util/TtlCache.js';

const log = logger('recording');
const DAY_MS = 86_400_000;

export interface RecordingsOptions {
  readonly store: Pick<Store, 'recordings' | 'spaces'>;
  /** Where recordings live: `<dataDir>/recordings`. */
  readonly recordingsDir: string;
  /** Replays are deleted this long after their space ended. */
  readonly retentionDays: number;
  /** Retention sweep interval. Default one hour. */
  readonly sweepIntervalMs?: number;
  /** Epoch ms. Default Date.now. */
  readonly now?: () => number;
}

/** What a space's media offers the recorder (a SpaceMedia fits). */
export interface RecordableMedia {
  readonly packager: RecordablePackager;
  /** Wall-clock time of the packager's first sample. */
  readonly startedAtMs: number;
  /** The AAC-LC rendition, recorded beside the Opus one in `aac/` (AacRecording.ts). */
  readonly aac?: { readonly packager: RecordablePackager } | undefined;
}

/** What Recordings does with a space's recorder: one Recorder, or the Opus and AAC ones together. */
type SpaceRecorder = Pick<Recorder, 'finish' | 'close'>;

export type ReplayStatus = { kind: 'ready'; recording: Recording } | { kind: 'finishing' } | { kind: 'none' };

export class Recordings {
  readonly recordingsDir: string;
  readonly #opts: RecordingsOptions;
  readonly #recorders = new Map<string, Promise<SpaceRecorder | undefined>>();
  readonly #sweeper: RetentionSweeper;
  /** Each replay's trim, read from the Store at most every 2 s per node (the file routes ask per request). */
  readonly #trims = new TtlCache<string, number>(2000);
  #closed = false;

  constructor(opts: RecordingsOptions) {
    this.#opts = opts;
    this.recordingsDir = opts.recordingsDir;
    this.#sweeper = new RetentionSweeper({
      store: opts.store,
      recordingsDir: opts.recordingsDir,
      retentionDays: opts.retentionDays,
      ...(opts.sweepIntervalMs !== undefined ? { intervalMs: opts.sweepIntervalMs } : {}),
      ...(opts.now ? { now: opts.now } : {}),
      // Also catches a space that ended while this node was down, or ended elsewhere.
      beforeSweep: () => this.recoverInterrupted(),
    });
  }

  #now(): number {
    return (this.#opts.now ?? Date.now)();
  }

  /** At node start: finishes interrupted recordings of spaces no longer live, then sweeps; hourly after. */
  async start(): Promise<void> {
    await this.#sweeper.start();
  }

  /** Finishes interrupted recordings of spaces that are not live and not being recorded here. */
  async recoverInterrupted(): Promise<void> {
    const done = await recoverInterrupted({
      recordingsDir: this.recordingsDir,
      isLive: async (spaceId) =>
        this.#recorders.has(spaceId) || (await this.#opts.store.spaces.get(spaceId))?.state === 'live',
    });
    for (const r of done) await this.#markFinished(r.spaceId, r.durationSeconds, r.finishedAtMs);
  }

  /** A recorded space's media started on this node: record it (resuming an interrupted recording). */
  async started(space: Space, media: RecordableMedia): Promise<void> {
    if (!space.record || this.#closed || this.#recorders.has(space.id)) return;
    const opening = (async () => {
      await this.#opts.store.recordings.create(space.id, new Date(this.#now()).toISOString());
      const open = (dir: string, packager: RecordablePackager) =>
        Recorder.open({ dir, spaceId: space.id, packager, programDateTimeMs: media.startedAtMs });
      // Both at once: each holds its packager's parts from the call on, so neither misses the first.
      const [opus, aac] = await Promise.all([
        open(this.#dir(space.id), media.packager),
        media.aac
          ? open(aacDirOf(this.#dir(space.id)), media.aac.packager).catch((err: unknown) => {
              log.error({ err, spaceId: space.id }, 'could not record the AAC rendition; Opus only');
              return undefined;
            })
          : undefined,
      ]);
      return aac ? bothRenditions(opus, aac) : opus;
    })().catch((err: unknown) => {
      log.error({ err, spaceId: space.id }, 'could not start recording; the space goes on unrecorded');
      return undefined;
    });
    this.#recorders.set(space.id, opening);
    await opening;
  }

  /** The space ended and its packager emitted its last part: finish the recording; the replay is available. */
  async ended(spaceId: string): Promise<void> {
    // The entry stays until the row is marked, so replay() never finishes the directory a second time.
    await this.#release(spaceId, async (recorder) => {
      const { durationSeconds } = await recorder.finish();
      await this.#markFinished(spaceId, durationSeconds, this.#now());
    });
  }

  /** The node is stopping while the space is live: release the files, to resume after the restart. */
  async stopped(spaceId: string): Promise<void> {
    await this.#release(spaceId, (recorder) => recorder.close());
  }

  /** The replay of a space that is no longer live, finishing an interrupted recording on demand. */
  async replay(spaceId: string): Promise<ReplayStatus> {
    let rec = await this.#opts.store.recordings.get(spaceId);
    if (!rec || rec.deletedAt !== null) return { kind: 'none' };
    if (rec.finishedAt === null) {
      if (this.#recorders.has(spaceId)) return { kind: 'finishing' }; // ended() is running
      const dir = this.#dir(spaceId);
      await finishAacDir(dir);
      if (!(await isUnfinished(dir))) {
        // Finished on disk but the row missed it (a crash between the two): settle the row from the marker.
        const marker = await readFinished(dir);
        if (!marker) return { kind: 'finishing' }; // recorded on another node's disk
        await this.#markFinished(spaceId, marker.durationSeconds, marker.finishedAtMs);
      } else {
        const marker = await finishDir(dir, await recoverDir(dir));
        await this.#markFinished(spaceId, marker.durationSeconds, marker.finishedAtMs);
      }
      rec = await this.#opts.store.recordings.get(spaceId);
      if (!rec || rec.finishedAt === null || rec.deletedAt !== null) return { kind: 'none' };
    }
    const expiresAt = Date.parse(rec.finishedAt) + this.#opts.retentionDays * DAY_MS;
    return expiresAt <= this.#now() ? { kind: 'none' } : { kind: 'ready', recording: rec };
  }

  /**
   * Cuts the start of a finished replay (ReplayTrim.ts): `startSeconds` is in the recording's own time,
   * 0 puts the start back. Returns where the replay now starts (the first segment boundary at or after it).
   */
  async trim(spaceId: string, recording: Recording, startSeconds: number): Promise<number> {
    const full = recording.durationSeconds + recording.trimStartSeconds;
    const refuse = () =>
      new RostraError(
        'invalid_trim',
        `The replay may start from 0 s up to ${MIN_TRIMMED_SECONDS} s before its end (${full.toFixed(1)} s).`,
        { details: { recordingSeconds: full, maxStartSeconds: Math.max(0, full - MIN_TRIMMED_SECONDS) } },
      );
    if (!(startSeconds >= 0 && startSeconds < full - MIN_TRIMMED_SECONDS)) throw refuse();
    const cut = trimSessions(await readRecordedSessions(this.#dir(spaceId)), startSeconds);
    if (!cut) throw refuse();
    if (!(await this.#opts.store.recordings.setTrim(spaceId, cut.cutSeconds)))
      throw new RostraError('not_found', 'This space has no replay.');
    this.#trims.delete(spaceId);
    return cut.cutSeconds;
  }

  /** Where the replay of a space starts (0 when it was never trimmed). */
  async trimOf(spaceId: string): Promise<number> {
    const nowMs = Date.now();
    const cached = this.#trims.get(spaceId, nowMs);
    if (cached !== undefined) return cached;
    const trim = (await this.#opts.store.recordings.get(spaceId))?.trimStartSeconds ?? 0;
    this.#trims.set(spaceId, trim, nowMs);
    return trim;
  }

  /** Counts a play (atomic in the Store); undefined if there is no playable replay. */
  incrementPlays(spaceId: string): Promise<number | undefined> {
    return this.#opts.store.recordings.incrementPlays(spaceId);
  }

  /** Deletes a replay: the row first (it is gone for clients at once), then the files. */
  async delete(spaceId: string): Promise<boolean> {
    const rec = await this.#opts.store.recordings.get(spaceId);
    if (!rec || rec.deletedAt !== null) return false;
    await this.#opts.store.recordings.markDeleted(spaceId, new Date(this.#now()).toISOString());
    try {
      await rm(this.#dir(spaceId), { recursive: true, force: true });
    } catch (err) {
      log.error({ err, spaceId }, 'replay files could not be removed; they are no longer served');
    }
    return true;
  }

  /** The directory of a space's recording (the id is checked: it becomes a path). */
  dirOf(spaceId: string): string | undefined {
    return ID_PATTERN.test(spaceId) ? this.#dir(spaceId) : undefined;
  }

  /** Stops the sweeper and closes every recorder resumably. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#sweeper.close();
    await Promise.all([...this.#recorders.keys()].map((id) => this.stopped(id)));
  }

  #dir(spaceId: string): string {
    if (!ID_PATTERN.test(spaceId)) throw new TypeError(`not a space id: ${spaceId}`);
    return join(this.recordingsDir, spaceId);
  }

  async #release(spaceId: string, act: (recorder: SpaceRecorder) => Promise<void>): Promise<void> {
    const pending = this.#recorders.get(spaceId);
    if (!pending) return;
    try {
      const recorder = await pending;
      if (recorder) await act(recorder);
    } finally {
      if (this.#recorders.get(spaceId) === pending) this.#recorders.delete(spaceId);
    }
  }

  async #markFinished(spaceId: string, durationSeconds: number, atMs: number): Promise<void> {
    const ok = await this.#opts.store.recordings.markFinished(
      spaceId,
      durationSeconds,
      new Date(atMs).toISOString(),
    );
    if (!ok) log.warn({ spaceId }, 'a finished recording has no row (or was deleted)');
  }
}

/**
 * The Opus and AAC recorders of one space as one. The AAC rendition finishes first: the Opus one's
 * finished marker is what makes the replay (and so its AAC variant) available.
 */
function bothRenditions(opus: Recorder, aac: Recorder): SpaceRecorder {
  return {
    finish: async () => {
      await aac.finish().catch((err: unknown) => log.error({ err }, 'could not finish the AAC recording'));
      return opus.finish();
    },
    close: async () => {
      await Promise.all([opus.close(), aac.close()]);
    },
  };
}
