/** Spaces and the interest people register in scheduled ones, in SQL, with keyset paging. */
import type { Space, SpaceState } from '../domain/types.js';
import type { SqlClient } from './SqlClient.js';
import type { SpaceListQuery, SpaceRepo } from './Store.js';
import { decodeCursor, encodeCursor, iso, toSpace, type SpaceRow } from './rows.js';

/** Per state: the column a listing is ordered by, and its direction (each has a partial index). */
const ORDER = {
  live: { column: 'started_at', dir: 'DESC' },
  scheduled: { column: 'scheduled_for', dir: 'ASC' },
  backstage: { column: 'scheduled_for', dir: 'ASC' },
  ended: { column: 'ended_at', dir: 'DESC' },
  cancelled: { column: 'ended_at', dir: 'DESC' },
} as const satisfies Record<SpaceState, { column: keyof SpaceRow; dir: 'ASC' | 'DESC' }>;

export class SqlSpaces implements SpaceRepo {
  readonly #db: SqlClient;

  constructor(db: SqlClient) {
    this.#db = db;
  }

  /** The space row and its host's stage row (unmuted) in one transaction. */
  async create(s: Space): Promise<Space> {
    return this.#db.transaction(async (tx) => {
      const [row] = await tx.query<SpaceRow>(
        `INSERT INTO spaces (id, host_id, title, topics, record, anonymous_listening, state, scheduled_for,
           started_at, ended_at, created_at)
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
      if (!row) throw new Error('INSERT … RETURNING returned no row');
      await tx.query(
        `INSERT INTO stage_members (space_id, user_id, role, muted, joined_at) VALUES ($1, $2, 'host', false, $3)`,
        [s.id, s.hostId, s.createdAt],
      );
      return toSpace(row);
    });
  }

  async get(id: string): Promise<Space | undefined> {
    const [row] = await this.#db.query<SpaceRow>('SELECT * FROM spaces WHERE id = $1', [id]);
    return row ? toSpace(row) : undefined;
  }

  /** One conditional UPDATE: two nodes racing to end a space cannot both win. */
  async transition(
    id: string,
    from: readonly SpaceState[],
    to: SpaceState,
    at: { startedAt?: string; endedAt?: string },
  ): Promise<Space | undefined> {
    const [row] = await this.#db.query<SpaceRow>(
      `UPDATE spaces SET state = $3, started_at = COALESCE($4, started_at), ended_at = COALESCE($5, ended_at)
       WHERE id = $1 AND state = ANY($2::text[]) RETURNING *`,
      [id, [...from], to, at.startedAt ?? null, at.endedAt ?? null],
    );
    return row ? toSpace(row) : undefined;
  }

  /**
   * Keyset paging on (order column, id): stable while spaces come and go, and each page is one index range
   * scan. The cursor is base64url JSON of the last row's key; a foreign cursor is a validation error.
   */
  async list(q: SpaceListQuery): Promise<{ spaces: Space[]; nextCursor: string | null }> {
    if (!Number.isInteger(q.limit) || q.limit < 1) throw new TypeError(`limit must be a positive integer`);
    const { column, dir } = ORDER[q.state];
    const after = decodeCursor(q.cursor);
    const params: unknown[] = [q.state, q.limit + 1];
    let where = `state = $1 AND ${column} IS NOT NULL`;
    if (after) {
      params.push(after[0], after[1]);
      where += ` AND (${column}, id) ${dir === 'DESC' ? '<' : '>'} ($3::timestamptz, $4)`;
    }
    const rows = await this.#db.query<SpaceRow>(
      `SELECT * FROM spaces WHERE ${where} ORDER BY ${column} ${dir}, id ${dir} LIMIT $2`,
      params,
    );
    const page = rows.slice(0, q.limit);
    const last = rows.length > q.limit ? page[page.length - 1] : undefined;
    const key = last?.[column];
    return {
      spaces: page.map(toSpace),
      nextCursor: last && key ? encodeCursor([iso(key), last.id]) : null,
    };
  }

  async addInterest(spaceId: string, userId: string): Promise<void> {
    await this.#db.query(
      'INSERT INTO space_interest (space_id, user_id) VALUES ($1, $2) ON CONFLICT (space_id, user_id) DO NOTHING',
      [spaceId, userId],
    );
  }

  async removeInterest(spaceId: string, userId: string): Promise<void> {
    await this.#db.query('DELETE FROM space_interest WHERE space_id = $1 AND user_id = $2', [
      spaceId,
      userId,
    ]);
  }

  async isInterested(spaceId: string, userId: string): Promise<boolean> {
    const rows = await this.#db.query('SELECT 1 FROM space_interest WHERE space_id = $1 AND user_id = $2', [
      spaceId,
      userId,
    ]);
    return rows.length > 0;
  }

  /** Oldest interest first. */
  async interestedUserIds(spaceId: string): Promise<string[]> {
    const rows = await this.#db.query<{ user_id: string }>(
      'SELECT user_id FROM space_interest WHERE space_id = $1 ORDER BY created_at, user_id',
      [spaceId],
    );
    return rows.map((r) => r.user_id);
  }

  async nextMediaSession(spaceId: string): Promise<number> {
    const rows = await this.#db.query<{ media_sessions: number }>(
      'UPDATE spaces SET media_sessions = media_sessions + 1 WHERE id = $1 RETURNING media_sessions',
      [spaceId],
    );
    return Number(rows[0]?.media_sessions ?? 0);
  }
}
