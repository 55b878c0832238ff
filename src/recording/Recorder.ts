/**
 * Records one space's broadcast to disk as it is packaged: the same fMP4 parts listeners get, appended to
 * `seg<msn>.m4s`, each followed by a journal line. After the space ends, `finish()` writes the replay's VOD
 * playlist and the finished marker.
 *
 * Durability (fsync policy):
 *  - Each part is write()n to its segment file, then its journal line is write()n. A write() lands in the
 *    kernel's page cache, which survives the process being killed (kill -9, OOM, a crash): so after a crash
 *    every journaled part has its bytes on disk ("data before journal").
 *  - On each complete segment the segment file and the journal are fdatasynced (and the directory synced for
 *    the new file). Power loss therefore loses at most the segment in progress (~segmentTargetS seconds);
 *    recovery trims anything the journal does not prove. A sync per part would cost ~8x the I/O for little.
 *  - All file work runs on one serial promise queue, off the mixer's event-loop tick (async fs).
 *
 * Resuming: opening the directory of an interrupted recording recovers it (recordingFiles.recoverDir), then
 * continues with MSNs after the last recorded one. The new packager's timeline restarts at 0, so its parts
 * are shifted (tfdt, mfhd) to continue the recorded one, and the replay marks EXT-X-DISCONTINUITY there.
 */
import { mkdir, open, readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { PackagedPart, PartPackager } from '../broadcast/index.js';
import { logger } from '../log/Logger.js';
import { JOURNAL_FILE, durationSeconds, encodeLine, type JournalLine } from './RecordingJournal.js';
import { finishDir, readFinished, recoverDir, syncDir, writeAtomic } from './recordingFiles.js';
import { segmentUri } from './ReplayPlaylist.js';
import { retimeFragment } from './retimeFragment.js';

const log = logger('recording.recorder');

/** What the recorder needs of a packager (a PartPackager fits). */
export type RecordablePackager = Pick<PartPackager, 'initSegment' | 'on' | 'off'>;

export interface RecorderOptions {
  /** This space's recording directory (created if missing). */
  readonly dir: string;
  readonly spaceId: string;
  readonly packager: RecordablePackager;
  /** Wall-clock time (epoch ms) of the packager's first sample, for EXT-X-PROGRAM-DATE-TIME. */
  readonly programDateTimeMs?: number;
}

export class RecordingFinishedError extends Error {
  override name = 'RecordingFinishedError';
}

export class Recorder {
  readonly dir: string;
  readonly spaceId: string;
  /** True when this recorder continues an interrupted recording. */
  readonly resumed: boolean;
  readonly #packager: RecordablePackager;
  readonly #journal: FileHandle;
  /** Shifts applied to this session's parts so the timeline continues the recorded one. */
  readonly #shift: { decodeTime: number; sequence: number };
  /** The packager's first MSN is written as this disk MSN. */
  readonly #msnBase: number;
  /**
   * The packager's first MSN and decode time, seen on its first part: a packager on the space's timeline
   * (a restart or takeover) does not start at 0, and the recording's numbering and timeline continue.
   */
  #first: { msn: number; decodeTime: number } | undefined;
  #segment: { msn: number; handle: FileHandle; size: number } | undefined;
  #queue: Promise<void> = Promise.resolve();
  #samples: number;
  #failed = false;
  #closing: Promise<void> | undefined;
  #finishing: Promise<{ durationSeconds: number }> | undefined;
  readonly #onPart = (part: PackagedPart) => this.#enqueue(() => this.#writePart(part));
  readonly #onSegment = (segment: { msn: number }) =>
    this.#enqueue(() => this.#syncSegment(this.#msnBase + segment.msn - (this.#first?.msn ?? 0)));

  private constructor(
    opts: RecorderOptions,
    journal: FileHandle,
    resume: { msnBase: number; samples: number; parts: number; resumed: boolean },
  ) {
    this.dir = opts.dir;
    this.spaceId = opts.spaceId;
    this.#packager = opts.packager;
    this.#journal = journal;
    this.#msnBase = resume.msnBase;
    this.#samples = resume.samples;
    this.#shift = { decodeTime: resume.samples, sequence: resume.parts };
    this.resumed = resume.resumed;
    opts.packager.on('part', this.#onPart);
    opts.packager.on('segment', this.#onSegment);
  }

  /**
   * Starts (or resumes) recording into `dir`. Refuses a finished recording. Parts the packager emits while
   * the directory is being opened are held and recorded first, so nothing from the call on is missed.
   */
  static async open(opts: RecorderOptions): Promise<Recorder> {
    const early: (['part', PackagedPart] | ['segment', { msn: number }])[] = [];
    const holdPart = (p: PackagedPart) => early.push(['part', p]);
    const holdSegment = (s: { msn: number }) => early.push(['segment', s]);
    opts.packager.on('part', holdPart);
    opts.packager.on('segment', holdSegment);
    try {
      const recorder = await Recorder.#open(opts);
      for (const [kind, event] of early) {
        if (kind === 'part') recorder.#onPart(event);
        else recorder.#onSegment(event);
      }
      return recorder;
    } finally {
      opts.packager.off('part', holdPart);
      opts.packager.off('segment', holdSegment);
    }
  }

  static async #open(opts: RecorderOptions): Promise<Recorder> {
    await mkdir(opts.dir, { recursive: true });
    if (await readFinished(opts.dir)) {
      throw new RecordingFinishedError(`the recording of ${opts.spaceId} is already finished`);
    }
    const state = await recoverDir(opts.dir);
    const last = state.sessions[state.sessions.length - 1];
    let init = 'init.mp4';
    if (last) {
      const previous = await readFile(join(opts.dir, last.init)).catch(() => undefined);
      init =
        previous && Buffer.from(opts.packager.initSegment).equals(previous)
          ? last.init
          : `init${last.n + 1}.mp4`;
    }
    if (!last || init !== last.init) await writeAtomic(opts.dir, init, opts.packager.initSegment);
    const journal = await open(join(opts.dir, JOURNAL_FILE), 'a');
    const session: JournalLine = {
      type: 'session',
      n: last ? last.n + 1 : 0,
      init,
      pdt: opts.programDateTimeMs ?? null,
    };
    await journal.write(encodeLine(session));
    await journal.datasync();
    await syncDir(opts.dir);
    if (last) {
      log.info(
        { spaceId: opts.spaceId, session: session.n, seconds: durationSeconds(state) },
        'recording resumed',
      );
    }
    return new Recorder(opts, journal, {
      msnBase: state.nextMsn,
      samples: state.totalSamples,
      parts: state.totalParts,
      resumed: last !== undefined,
    });
  }

  /** Seconds recorded so far (all sessions), as journaled. */
  get durationSeconds(): number {
    return durationSeconds({ totalSamples: this.#samples });
  }

  /** Whether a write failed: recording stopped, what was journaled before stays replayable. */
  get failed(): boolean {
    return this.#failed;
  }

  /** Resolves when every part and segment event so far is on disk (written, and synced per the policy). */
  flushed(): Promise<void> {
    return this.#queue;
  }

  /**
   * Stops recording and releases the files, leaving the recording resumable (a node shutting down while the
   * space is live). Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#packager.off('part', this.#onPart);
      this.#packager.off('segment', this.#onSegment);
      await this.#queue;
      const segment = this.#segment;
      this.#segment = undefined;
      try {
        if (segment) {
          await segment.handle.datasync();
          await segment.handle.close();
        }
        await this.#journal.datasync();
      } catch (err) {
        log.error({ err, spaceId: this.spaceId }, 'could not sync the recording at close');
      } finally {
        await this.#journal.close();
      }
    })();
    return this.#closing;
  }

  /**
   * Call after the packager ended (its last part and segment were emitted): closes, then writes the VOD
   * playlist and the finished marker. Idempotent.
   */
  finish(): Promise<{ durationSeconds: number }> {
    this.#finishing ??= (async () => {
      await this.close();
      // Re-read what the journal proves rather than trusting memory: after a failed write they may differ.
      const marker = await finishDir(this.dir, await recoverDir(this.dir));
      log.info({ spaceId: this.spaceId, seconds: marker.durationSeconds }, 'recording finished');
      return { durationSeconds: marker.durationSeconds };
    })();
    return this.#finishing;
  }

  #enqueue(job: () => Promise<void>): void {
    this.#queue = this.#queue.then(async () => {
      if (this.#failed) return;
      try {
        await job();
      } catch (err) {
        // Disk full or gone: stop recording but never disturb the live space.
        this.#failed = true;
        log.error({ err, spaceId: this.spaceId }, 'recording write failed; recording stopped');
      }
    });
  }

  async #writePart(part: PackagedPart): Promise<void> {
    if (!this.#first) {
      this.#first = { msn: part.msn, decodeTime: part.baseDecodeTime };
      this.#shift.decodeTime -= part.baseDecodeTime;
    }
    const msn = this.#msnBase + part.msn - this.#first.msn;
    if (this.#segment?.msn !== msn) {
      if (this.#segment) await this.#syncSegment(this.#segment.msn);
      // 'w': recovery removed any unjournaled file of this name, so it starts empty either way.
      this.#segment = { msn, handle: await open(join(this.dir, segmentUri(msn)), 'w'), size: 0 };
    }
    const segment = this.#segment;
    const bytes = retimeFragment(part.bytes, this.#shift);
    await segment.handle.write(bytes);
    segment.size += bytes.length;
    await this.#journal.write(
      encodeLine({
        type: 'part',
        msn,
        i: part.partIndex,
        bytes: bytes.length,
        end: segment.size,
        samples: part.durationSamples,
      }),
    );
    this.#samples += part.durationSamples;
  }

  /** Completes the open segment file if it is `msn` (a disk MSN). */
  async #syncSegment(msn: number): Promise<void> {
    const segment = this.#segment;
    if (segment?.msn !== msn) return;
    this.#segment = undefined;
    await segment.handle.datasync();
    await segment.handle.close();
    await this.#journal.write(encodeLine({ type: 'segment', msn: segment.msn }));
    await this.#journal.datasync();
    await syncDir(this.dir);
  }
}
