/** Recordings in SQL: one row per recorded space; the audio files live on the origin node's disk. */
import type { SqlClient } from './SqlClient.js';
import type { Recording, RecordingRepo } from './Store.js';
import { iso, isoOrNull } from './rows.js';

export interface RecordingRow {
  space_id: string;
  duration_s: number | string;
  /** Absent in rows read without it (taken as 0). */
  trim_start_s?: number | string;
  plays: number | string | bigint;
  created_at: Date;
  finished_at: Date | null;
  deleted_at: Date | null;
}

export function toRecording(r: RecordingRow): Recording {
  return {
    spaceId: r.space_id,
    // pg returns bigint as a string and PGlite may as a bigint; a play count fits a double for ever.
    // What a listener gets: the part after the trim point.
    durationSeconds: Math.max(0, Number(r.duration_s) - Number(r.trim_start_s ?? 0)),
    trimStartSeconds: Number(r.trim_start_s ?? 0),
    plays: Number(r.plays),
    createdAt: iso(r.created_at),
    finishedAt: isoOrNull(r.finished_at),
    deletedAt: isoOrNull(r.deleted_at),
  };
}

export class SqlRecordings implements RecordingRepo {
  readonly #db: SqlClient;

  constructor(db: SqlClient) {
    this.#db = db;
  }

  async create(spaceId: string, at: string): Promise<Recording> {
    // DO UPDATE with a no-op so RETURNING yields the existing row too, in one round trip.
    const [r] = await this.#db.query<RecordingRow>(
      `INSERT INTO recordings (space_id, created_at) VALUES ($1, $2)
       ON CONFLICT (space_id) DO UPDATE SET space_id = EXCLUDED.space_id
       RETURNING *`,
      [spaceId, at],
    );
    if (!r) throw new Error('INSERT … RETURNING gave no row');
    return toRecording(r);
  }

  async get(spaceId: string): Promise<Recording | undefined> {
    const [r] = await this.#db.query<RecordingRow>('SELECT * FROM recordings WHERE space_id = $1', [spaceId]);
    return r ? toRecording(r) : undefined;
  }

  async markFinished(spaceId: string, durationSeconds: number, at: string): Promise<boolean> {
    const rows = await this.#db.query(
      `UPDATE recordings SET duration_s = $2, finished_at = $3
       WHERE space_id = $1 AND deleted_at IS NULL RETURNING space_id`,
      [spaceId, durationSeconds, at],
    );
    return rows.length > 0;
  }

  async incrementPlays(spaceId: string): Promise<number | undefined> {
    const [r] = await this.#db.query<{ plays: number | string | bigint }>(
      `UPDATE recordings SET plays = plays + 1
       WHERE space_id = $1 AND finished_at IS NOT NULL AND deleted_at IS NULL RETURNING plays`,
      [spaceId],
    );
    return r ? Number(r.plays) : undefined;
  }

  async markDeleted(spaceId: string, at: string): Promise<boolean> {
    const rows = await this.#db.query(
      `UPDATE recordings SET deleted_at = coalesce(deleted_at, $2) WHERE space_id = $1 RETURNING space_id`,
      [spaceId, at],
    );
    return rows.length > 0;
  }

  async setTrim(spaceId: string, startSeconds: number): Promise<boolean> {
    const rows = await this.#db.query(
      `UPDATE recordings SET trim_start_s = $2
       WHERE space_id = $1 AND finished_at IS NOT NULL AND deleted_at IS NULL RETURNING space_id`,
      [spaceId, startSeconds],
    );
    return rows.length > 0;
  }

  async listExpired(before: string, limit: number): Promise<Recording[]> {
    const rows = await this.#db.query<RecordingRow>(
      `SELECT * FROM recordings
       WHERE finished_at IS NOT NULL AND finished_at < $1 AND deleted_at IS NULL
       ORDER BY finished_at, space_id LIMIT $2`,
      [before, limit],
    );
    return rows.map(toRecording);
  }
}
