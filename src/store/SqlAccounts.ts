/** Users, sessions and blocks in SQL. */
import type { Session, User, UserWithSecret } from '../domain/types.js';
import type { SqlClient } from './SqlClient.js';
import type { BlockRepo, SessionRepo, UserRepo } from './Store.js';
import { iso, isoOrNull, toUser, type UserRow } from './rows.js';

const UNIQUE_VIOLATION = '23505';

export class SqlUsers implements UserRepo {
  constructor(private readonly db: SqlClient) {}

  async create(u: {
    id: string;
    handle: string;
    displayName: string;
    passwordHash: string;
  }): Promise<{ ok: true; user: User } | { ok: false; reason: 'handle_taken' }> {
    try {
      const [row] = await this.db.query<UserRow>(
        `INSERT INTO users (id, handle, display_name, password_hash) VALUES ($1, $2, $3, $4) RETURNING *`,
        [u.id, u.handle, u.displayName, u.passwordHash],
      );
      return { ok: true, user: toUser(row as UserRow) };
    } catch (err) {
      if ((err as { code?: string }).code === UNIQUE_VIOLATION) return { ok: false, reason: 'handle_taken' };
      throw err;
    }
  }

  async byId(id: string): Promise<User | undefined> {
    const [row] = await this.db.query<UserRow>('SELECT * FROM users WHERE id = $1', [id]);
    return row ? toUser(row) : undefined;
  }

  async byHandle(handle: string): Promise<UserWithSecret | undefined> {
    const [row] = await this.db.query<UserRow>('SELECT * FROM users WHERE lower(handle) = lower($1)', [
      handle,
    ]);
    return row ? { ...toUser(row), passwordHash: row.password_hash } : undefined;
  }

  async byIds(ids: readonly string[]): Promise<User[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.query<UserRow>('SELECT * FROM users WHERE id = ANY($1::text[])', [
      [...new Set(ids)],
    ]);
    const byId = new Map(rows.map((r) => [r.id, toUser(r)]));
    // Keep the caller's order: listener pages and stages are ordered lists.
    return [...new Set(ids)].flatMap((id) => {
      const u = byId.get(id);
      return u ? [u] : [];
    });
  }
}

interface SessionRow {
  id: string;
  user_id: string;
  expires_at: Date;
  revoked_at: Date | null;
}

export class SqlSessions implements SessionRepo {
  constructor(private readonly db: SqlClient) {}

  async create(s: { id: string; userId: string; expiresAt: string }): Promise<void> {
    await this.db.query('INSERT INTO sessions (id, user_id, expires_at) VALUES ($1, $2, $3)', [
      s.id,
      s.userId,
      s.expiresAt,
    ]);
  }

  async get(id: string): Promise<Session | undefined> {
    const [r] = await this.db.query<SessionRow>('SELECT * FROM sessions WHERE id = $1', [id]);
    return r
      ? { id: r.id, userId: r.user_id, expiresAt: iso(r.expires_at), revokedAt: isoOrNull(r.revoked_at) }
      : undefined;
  }

  async revoke(id: string, at: string): Promise<void> {
    await this.db.query('UPDATE sessions SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL', [id, at]);
  }

  async purgeExpired(now: string): Promise<number> {
    const rows = await this.db.query('DELETE FROM sessions WHERE expires_at < $1 RETURNING id', [now]);
    return rows.length;
  }
}

export class SqlBlocks implements BlockRepo {
  constructor(private readonly db: SqlClient) {}

  async add(blockerId: string, blockedId: string): Promise<void> {
    await this.db.query(
      'INSERT INTO blocks (blocker_id, blocked_id) VALUES ($1, $2) ON CONFLICT DO NOTHING',
      [blockerId, blockedId],
    );
  }

  async remove(blockerId: string, blockedId: string): Promise<void> {
    await this.db.query('DELETE FROM blocks WHERE blocker_id = $1 AND blocked_id = $2', [
      blockerId,
      blockedId,
    ]);
  }

  async has(blockerId: string, blockedId: string): Promise<boolean> {
    const rows = await this.db.query('SELECT 1 FROM blocks WHERE blocker_id = $1 AND blocked_id = $2', [
      blockerId,
      blockedId,
    ]);
    return rows.length > 0;
  }

  async listBlocked(blockerId: string): Promise<string[]> {
    const rows = await this.db.query<{ blocked_id: string }>(
      'SELECT blocked_id FROM blocks WHERE blocker_id = $1 ORDER BY created_at, blocked_id',
      [blockerId],
    );
    return rows.map((r) => r.blocked_id);
  }
}
