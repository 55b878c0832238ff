/**
 * Clips: a short window of a space's recording, cut into a standalone `.m4a` that plays on its own in a
 * browser (AAC-LC when the recording has its AAC rendition: Chrome, Safari and Firefox; else Opus in MP4:
 * Chrome and Firefox). A live space is clipped from what is recorded so far (the last N seconds); an ended
 * one from its replay (any window).
 *
 *   <recordingsDir>/clips/<clipId>.m4a     written atomically when the clip is made
 *
 * Clips live beside the recordings but not inside one, so a clip outlives the replay it was cut from for
 * its own retention (`media.clipRetentionDays`), and deleting a replay does not delete its clips. A clip's
 * row is kept after deletion (deleted_at), so its link answers 410 `clip_gone`.
 *
 * Retention: a sweep at start and hourly (like RetentionSweeper) marks expired clips deleted and removes
 * every file in this node's clips directory whose row is deleted, expired or missing. So a clip deleted
 * through another node (whose disk does not hold the file) has its file removed by the next sweep here; it
 * is never served meanwhile, because serving reads the row.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { TIMESCALE } from '../broadcast/index.js';
import { RostraError } from '../errors/index.js';
import { logger } from '../log/Logger.js';
import type { Clip, Store } from '../store/index.js';
import { aacDirOf } from './AacRecording.js';
import { cutClip, readRecorded } from './ClipFile.js';
import { writeAtomic } from './recordingFiles.js';

const log = logger('recording.clips');
const DAY_MS = 86_400_000;
const BATCH = 100;

export const CLIPS_DIR = 'clips';
export const CLIP_SECONDS = { default: 30, min: 5, max: 60 } as const;
const CLIP_FILE = /^([A-Za-z0-9_-]{16,64})\.m4a$/;
/** A window may end this far past the recording's end (a player's position is not frame-exact). */
const END_SLACK_S = 0.1;

export interface ClipsOptions {
  readonly store: Pick<Store, 'clips'>;
  /** Where recordings live (`<dataDir>/recordings`); undefined on a node that records nothing. */
  readonly recordingsDir: string | undefined;
  /** A clip is deleted this long after it was made. */
  readonly retentionDays: number;
  /** Default one hour. */
  readonly sweepIntervalMs?: number;
  /** Epoch ms. Default Date.now. */
  readonly now?: () => number;
}

export interface ClipRequest {
  readonly spaceId: string;
  /** Seconds into the replay (after `trimSeconds`); absent: the last `durationSeconds` recorded. */
  readonly startSeconds?: number | undefined;
  /** Where the replay starts in the files (the host cut what came before); nothing before is clipped. */
  readonly trimSeconds?: number | undefined;
  /** Default 30; 5 to 60. */
  readonly durationSeconds?: number | undefined;
  readonly creatorId: string | null;
}

/** A clip id: 128 random bits, so a clip's link cannot be guessed from another's. */
const newClipId = (): string => randomBytes(16).toString('base64url');

export class Clips {
  readonly #opts: ClipsOptions;
  #timer: NodeJS.Timeout | undefined;
  #sweeping: Promise<number> | undefined;
  #closed = false;

  constructor(opts: ClipsOptions) {
    if (!(opts.retentionDays > 0)) throw new TypeError('retentionDays must be > 0');
    this.#opts = opts;
  }

  #now(): number {
    return (this.#opts.now ?? Date.now)();
  }

  /**
   * Cuts and stores a clip of the space's recording on this node's disk. The caller has checked that the
   * space is live and recorded, or ended with a replay. Coded errors: `no_recording` when nothing is
   * recorded here, `clip_out_of_range` for a window outside what is recorded.
   */
  async create(req: ClipRequest): Promise<Clip> {
    const root = this.#opts.recordingsDir;
    if (root === undefined) throw new RostraError('no_recording', 'This server keeps no recordings.');
    const dir = join(root, req.spaceId);
    // AAC when there is any (plays everywhere, Safari included); else the Opus recording.
    const aac = await readRecorded(aacDirOf(dir));
    const useAac = aac !== undefined && aac.totalSamples > 0;
    const state = useAac ? aac : await readRecorded(dir);
    if (!state || state.totalSamples === 0)
      throw new RostraError('no_recording', 'Nothing of this space is recorded yet. Retry in a few seconds.');
    const recorded = state.totalSamples / TIMESCALE;
    const trim = req.trimSeconds ?? 0;
    const length = req.durationSeconds ?? CLIP_SECONDS.default;
    if (!(length >= CLIP_SECONDS.min && length <= CLIP_SECONDS.max))
      throw new TypeError(`a clip is ${CLIP_SECONDS.min} to ${CLIP_SECONDS.max} s, not ${length}`);
    let start: number;
    let end: number;
    if (req.startSeconds === undefined) {
      if (recorded - trim < CLIP_SECONDS.min) {
        throw new RostraError(
          'clip_out_of_range',
          `Only ${(recorded - trim).toFixed(1)} s are recorded; a clip needs at least ${CLIP_SECONDS.min} s.`,
          { details: { recordedSeconds: round3(recorded - trim) } },
        );
      }
      end = recorded;
      start = Math.max(trim, recorded - length);
    } else {
      start = trim + req.startSeconds;
      end = start + length;
      if (!(req.startSeconds >= 0) || end > recorded + END_SLACK_S) {
        throw new RostraError(
          'clip_out_of_range',
          `The recording is ${(recorded - trim).toFixed(1)} s long; ` +
            `${req.startSeconds} s + ${length} s is past its end.`,
          { details: { recordedSeconds: round3(recorded - trim) } },
        );
      }
    }
    let cut;
    try {
      cut = await cutClip(useAac ? aacDirOf(dir) : dir, state, start, end);
    } catch (err) {
      if (err instanceof RangeError) throw new RostraError('clip_out_of_range', err.message);
      throw err;
    }
    const id = newClipId();
    const clipsDir = join(root, CLIPS_DIR);
    await mkdir(clipsDir, { recursive: true });
    await writeAtomic(clipsDir, `${id}.m4a`, cut.bytes);
    const now = this.#now();
    try {
      return await this.#opts.store.clips.create({
        id,
        spaceId: req.spaceId,
        recordingId: req.spaceId,
        startSeconds: round3(cut.startSeconds),
        endSeconds: round3(cut.endSeconds),
        codec: cut.codec,
        creatorId: req.creatorId,
        createdAt: new Date(now).toISOString(),
        expiresAt: new Date(now + this.#opts.retentionDays * DAY_MS).toISOString(),
      });
    } catch (err) {
      await rm(join(clipsDir, `${id}.m4a`), { force: true });
      throw err;
    }
  }

  /** A clip that exists: 404 `clip_not_found` for an unknown id, 410 `clip_gone` once deleted or expired. */
  async get(clipId: string): Promise<Clip> {
    const clip = await this.#opts.store.clips.get(clipId);
    if (!clip) throw new RostraError('clip_not_found');
    if (clip.deletedAt !== null || Date.parse(clip.expiresAt) <= this.#now())
      throw new RostraError('clip_gone');
    return clip;
  }

  /** Clips of a space that exist now, newest first. */
  list(spaceId: string, limit = 50): Promise<Clip[]> {
    return this.#opts.store.clips.listForSpace(spaceId, new Date(this.#now()).toISOString(), limit);
  }

  /** The clip's file on this node's disk (it may be on another node's; see the sweep). */
  fileOf(clip: Pick<Clip, 'id'>): string | undefined {
    const root = this.#opts.recordingsDir;
    return root === undefined ? undefined : join(root, CLIPS_DIR, `${clip.id}.m4a`);
  }

  /** Deletes a clip: the row first (gone for clients at once), then the file here. */
  async delete(clipId: string): Promise<void> {
    await this.#opts.store.clips.markDeleted(clipId, new Date(this.#now()).toISOString());
    const path = this.fileOf({ id: clipId });
    if (path) await rm(path, { force: true });
  }

  /** Sweeps now, then every interval (unref'd). Idempotent. */
  start(): Promise<number> {
    if (!this.#timer && !this.#closed) {
      this.#timer = setInterval(() => void this.sweep(), this.#opts.sweepIntervalMs ?? 3_600_000);
      this.#timer.unref();
    }
    return this.sweep();
  }

  /** One pass; returns how many files it removed. Overlapping calls share one pass. */
  sweep(): Promise<number> {
    this.#sweeping ??= this.#sweep().finally(() => (this.#sweeping = undefined));
    return this.#sweeping;
  }

  /** Stops the timer and waits for a pass in progress. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#sweeping;
  }

  async #sweep(): Promise<number> {
    const { store } = this.#opts;
    const now = this.#now();
    const nowIso = new Date(now).toISOString();
    let removed = 0;
    try {
      for (;;) {
        const expired = await store.clips.listExpired(nowIso, BATCH);
        for (const clip of expired) await store.clips.markDeleted(clip.id, nowIso);
        if (expired.length < BATCH || this.#closed) break;
      }
      const root = this.#opts.recordingsDir;
      if (root === undefined) return 0;
      const dir = join(root, CLIPS_DIR);
      const names = await readdir(dir).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return [] as string[];
        throw err;
      });
      const ids = names.flatMap((n) => CLIP_FILE.exec(n)?.[1] ?? []);
      for (let i = 0; i < ids.length; i += BATCH) {
        const batch = ids.slice(i, i + BATCH);
        const rows = new Map((await store.clips.byIds(batch)).map((c) => [c.id, c]));
        for (const id of batch) {
          const row = rows.get(id);
          if (row && row.deletedAt === null && Date.parse(row.expiresAt) > now) continue;
          // No row yet: a clip being made right now writes its file before its row.
          if (!row && (await isRecent(join(dir, `${id}.m4a`)))) continue;
          await rm(join(dir, `${id}.m4a`), { force: true });
          removed += 1;
        }
      }
    } catch (err) {
      log.error({ err }, 'clip sweep failed; retrying at the next interval');
    }
    if (removed > 0) log.info({ removed }, 'expired or deleted clips removed');
    return removed;
  }
}

const round3 = (s: number): number => Math.round(s * 1000) / 1000;

/** A file written in the last hour (by the wall clock: file times are). */
async function isRecent(path: string): Promise<boolean> {
  try {
    return Date.now() - (await stat(path)).mtimeMs < 3_600_000;
  } catch {
    return false; // gone already
  }
}
