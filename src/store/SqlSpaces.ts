/** Spaces and interest in SQL, with keyset paging. */
import type { Space, SpaceState } from '../domain/types.js';
import type { SqlClient } from './SqlClient.js';
import type { SpaceListQuery, SpaceRepo } from './Store.js';
import { decodeCursor, encodeCursor, iso, toSpace, type SpaceRow } from './rows.js';

/** Per state: the ordering column and direction a listing uses (each has a partial index). */
const ORDER: Record<SpaceState, { column: string; dir: 'ASC' | 'DESC' }> = {
  live: { column: 'started_at', dir: 'DESC' },
  scheduled: { column: 'scheduled_for', dir: 'ASC' },
  ended: { column: 'ended_at', dir: 'DESC' },
  cancelled: { column: 'ended_at', dir: 'DESC' },
};

export class SqlSpaces implements SpaceRepo {
  constructor(private readonly db: SqlClient) {}

  async create(s: Space): Promise<Space> {
    return this.db.transaction(async (tx) => {
      const [row] = await tx.query<SpaceRow>(
        `INSERT INTO spaces (id, host_id, title, topics, record, anonymous_listening, state, scheduled_for, started_at, ended_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING *`,
        [
          s.id,
          s.hostId,
          s.title,
          [...s.topics],
          s.record,
          s.anonymousListening,
          s.state,
          s.scheduledFor,
          s.startedAt,
          s.endedAt,
          s.createdAt,
        ],
      );
      await tx.query(
        `INSERT INTO stage_members (space_id, user_id, role, muted, joined_at) VALUES ($1, $2, 'host', false, $3)`,
        [s.id, s.hostId, s.createdAt],
      );
      return toSpace(row as SpaceRow);
    });
  }

  async get(id: string): Promise<Space | undefined> {
    const [row] = await this.db.query<SpaceRow>('SELECT * FROM spaces WHERE id = $1', [id]);
    return row ? toSpace(row) : undefined;
  }

  async transition(
    id: string,
    from: readonly SpaceState[],
    to: SpaceState,
    at: { startedAt?: string; endedAt?: string },
  ): Promise<Space | undefined> {
    const [row] = await this.db.query<SpaceRow>(
      `UPDATE spaces SET state = $3, started_at = COALESCE($4, started_at), ended_at = COALESCE($5, ended_at)
       WHERE id = $1 AND state = ANY($2::text[]) RETURNING *`,
      [id, [...from], to, at.startedAt ?? null, at.endedAt ?? null],
    );
    return row ? toSpace(row) : undefined;
  }

  async list(q: SpaceListQuery): Promise<{ spaces: Space[]; nextCursor: string | null }> {
    const { column, dir } = ORDER[q.state];
    const after = decodeCursor(q.cursor);
    const cmp = dir === 'DESC' ? '<' : '>';
    const params: unknown[] = [q.state, q.limit + 1];
    let where = 'state = $1';
    if (after) {
      params.push(after[0], after[1]);
      where += ` AND (${column}, id) ${cmp} ($3::timestamptz, $4)`;
    }
    const rows = await this.db.query<SpaceRow>(
      `SELECT * FROM spaces WHERE ${where} ORDER BY ${column} ${dir}, id ${dir} LIMIT $2`,
      params,
    );
    const page = rows.slice(0, q.limit).map(toSpace);
    const last = rows.length > q.limit ? rows[q.limit - 1] : undefined;
    const lastKey = last ? (last as unknown as Record<string, unknown>)[column] : undefined;
    return { spaces: page, nextCursor: last && lastKey ? encodeCursor([iso(lastKey), last.id]) : null };
  }

  async addInterest(spaceId: string, userId: string): Promise<void> {
    await this.db.query(
      'INSERT INTO space_interest (space_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING',
      [spaceId, userId],
    );
  }

  async removeInterest(spaceId: string, userId: string): Promise<void> {
    await this.db.query('DELETE FROM space_interest WHERE space_id = $1 AND user_id = $2', [spaceId, userId]);
  }

  async isInterested(spaceId: string, userId: string): Promise<boolean> {
    return (
      (
        await this.db.query('SELECT 1 FROM space_interest WHERE space_id = $1 AND user_id = $2', [
          spaceId,
          userId,
        ])
      ).length > 0
    );
  }

  async interestedUserIds(spaceId: string): Promise<string[]> {
    const rows = await this.db.query<{ user_id: string }>(
      'SELECT user_id FROM space_interest WHERE space_id = $1 ORDER BY created_at, user_id',
      [spaceId],
    );
    return rows.map((r) => r.user_id);
  }
}
