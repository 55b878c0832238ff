/**
 * Deletes recordings whose space ended more than `retentionDays` ago: files first, then the row is marked
 * deleted (a crash in between repeats the sweep next time, which is harmless). Runs at start and every
 * `intervalMs`, on an unref'd timer so it never keeps a process alive.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { logger } from '../log/Logger.js';
import type { Store } from '../store/index.js';
import { ID_PATTERN } from '../util/ids.js';

const log = logger('recording.retention');
const DAY_MS = 86_400_000;
/** Rows handled per query; a sweep loops until none are left. */
const BATCH = 100;

export interface RetentionSweeperOptions {
  readonly store: Pick<Store, 'recordings'>;
  readonly recordingsDir: string;
  readonly retentionDays: number;
  /** Default one hour. */
  readonly intervalMs?: number;
  /** Epoch ms. Default Date.now. */
  readonly now?: () => number;
  /** Runs first on every sweep (e.g. finishing interrupted recordings); its failure is logged. */
  readonly beforeSweep?: () => Promise<void>;
}

export class RetentionSweeper {
  readonly #opts: RetentionSweeperOptions;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<number> | undefined;
  #closed = false;

  constructor(opts: RetentionSweeperOptions) {
    if (!(opts.retentionDays > 0)) throw new TypeError('retentionDays must be > 0');
    this.#opts = opts;
  }

  /** Sweeps now, then every interval. Idempotent. */
  start(): Promise<number> {
    if (!this.#timer && !this.#closed) {
      this.#timer = setInterval(() => void this.sweep(), this.#opts.intervalMs ?? 3_600_000);
      this.#timer.unref();
    }
    return this.sweep();
  }

  /** One pass; returns how many recordings it deleted. Overlapping calls share one pass. */
  sweep(): Promise<number> {
    this.#running ??= this.#sweep().finally(() => (this.#running = undefined));
    return this.#running;
  }

  /** Stops the timer and waits for a pass in progress. Idempotent. */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  async #sweep(): Promise<number> {
    const { store, recordingsDir, retentionDays } = this.#opts;
    try {
      await this.#opts.beforeSweep?.();
    } catch (err) {
      log.error({ err }, 'pre-sweep step failed');
    }
    const now = (this.#opts.now ?? Date.now)();
    const before = new Date(now - retentionDays * DAY_MS).toISOString();
    let deleted = 0;
    try {
      for (;;) {
        const expired = await store.recordings.listExpired(before, BATCH);
        for (const rec of expired) {
          if (ID_PATTERN.test(rec.spaceId)) {
            await rm(join(recordingsDir, rec.spaceId), { recursive: true, force: true });
          }
          await store.recordings.markDeleted(rec.spaceId, new Date(now).toISOString());
          deleted += 1;
        }
        if (expired.length < BATCH || this.#closed) break;
      }
    } catch (err) {
      log.error({ err }, 'retention sweep failed; retrying at the next interval');
    }
    if (deleted > 0) log.info({ deleted, before }, 'expired recordings deleted');
    return deleted;
  }
}
