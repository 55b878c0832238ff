/** Sign-in sessions in SQL. */
import type { Session } from '../domain/types.js';
import type { SqlClient } from './SqlClient.js';
import type { SessionRepo } from './Store.js';
import { iso, isoOrNull } from './rows.js';

interface SessionRow {
  id: string;
  user_id: string;
  expires_at: Date;
  revoked_at: Date | null;
}

export class SqlSessions implements SessionRepo {
  readonly #db: SqlClient;

  constructor(db: SqlClient) {
    this.#db = db;
  }

  async create(s: { id: string; userId: string; expiresAt: string }): Promise<void> {
    await this.#db.query('INSERT INTO sessions (id, user_id, expires_at) VALUES ($1, $2, $3)', [
      s.id,
      s.userId,
      s.expiresAt,
    ]);
  }

  async get(id: string): Promise<Session | undefined> {
    const [r] = await this.#db.query<SessionRow>('SELECT * FROM sessions WHERE id = $1', [id]);
    return r
      ? { id: r.id, userId: r.user_id, expiresAt: iso(r.expires_at), revokedAt: isoOrNull(r.revoked_at) }
      : undefined;
  }

  /** The first revocation's time is kept. */
  async revoke(id: string, at: string): Promise<void> {
    await this.#db.query('UPDATE sessions SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL', [
      id,
      at,
    ]);
  }

  async purgeExpired(now: string): Promise<number> {
    const rows = await this.#db.query('DELETE FROM sessions WHERE expires_at < $1 RETURNING id', [now]);
    return rows.length;
  }
}
