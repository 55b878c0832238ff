/**
 * Recent recordings in SQL: finished, not deleted, newest first, each with its space. Keyset paging on
 * (finished_at, space_id), one range scan of the recordings_finished partial index per page.
 */
import type { SqlClient } from './SqlClient.js';
import { toRecording, type RecordingRow } from './SqlRecordings.js';
import type { RecentReplay, ReplayListRepo } from './Store.js';
import { decodeCursor, encodeCursor, iso, toSpace, type SpaceRow } from './rows.js';

type Row = SpaceRow &
  Pick<RecordingRow, 'duration_s' | 'trim_start_s' | 'plays' | 'finished_at' | 'deleted_at'> & {
    rec_created_at: Date;
  };

export class SqlReplayList implements ReplayListRepo {
  readonly #db: SqlClient;

  constructor(db: SqlClient) {
    this.#db = db;
  }

  async recent(
    limit: number,
    cursor?: string,
  ): Promise<{ replays: RecentReplay[]; nextCursor: string | null }> {
    if (!Number.isInteger(limit) || limit < 1) throw new TypeError('limit must be a positive integer');
    const after = decodeCursor(cursor);
    const params: unknown[] = [limit + 1];
    let where = 'r.finished_at IS NOT NULL AND r.deleted_at IS NULL';
    if (after) {
      params.push(after[0], after[1]);
      where += ' AND (r.finished_at, r.space_id) < ($2::timestamptz, $3)';
    }
    const rows = await this.#db.query<Row>(
      `SELECT s.*, r.duration_s, r.trim_start_s, r.plays, r.created_at AS rec_created_at, r.finished_at, r.deleted_at
         FROM recordings r JOIN spaces s ON s.id = r.space_id
        WHERE ${where}
        ORDER BY r.finished_at DESC, r.space_id DESC
        LIMIT $1`,
      params,
    );
    const page = rows.slice(0, limit);
    const last = rows.length > limit ? page[page.length - 1] : undefined;
    return {
      replays: page.map((r) => ({
        space: toSpace(r),
        recording: toRecording({
          space_id: r.id,
          duration_s: r.duration_s,
          trim_start_s: r.trim_start_s,
          plays: r.plays,
          created_at: r.rec_created_at,
          finished_at: r.finished_at,
          deleted_at: r.deleted_at,
        }),
      })),
      nextCursor: last?.finished_at ? encodeCursor([iso(last.finished_at), last.id]) : null,
    };
  }
}
