/** Accounts in SQL; handles are unique case-insensitively (a unique index on lower(handle)). */
import type { User, UserWithSecret } from '../domain/types.js';
import { UNIQUE_VIOLATION, sqlError, type SqlClient } from './SqlClient.js';
import type { UserRepo } from './Store.js';
import { toUser, type UserRow } from './rows.js';

export class SqlUsers implements UserRepo {
  readonly #db: SqlClient;

  constructor(db: SqlClient) {
    this.#db = db;
  }

  async create(u: {
    id: string;
    handle: string;
    displayName: string;
    passwordHash: string;
  }): Promise<{ ok: true; user: User } | { ok: false; reason: 'handle_taken' }> {
    try {
      const [row] = await this.#db.query<UserRow>(
        `INSERT INTO users (id, handle, display_name, password_hash) VALUES ($1, $2, $3, $4) RETURNING *`,
        [u.id, u.handle, u.displayName, u.passwordHash],
      );
      if (!row) throw new Error('INSERT … RETURNING returned no row');
      return { ok: true, user: toUser(row) };
    } catch (err) {
      // Only the handle index means "taken"; a duplicate id is the caller's bug and stays an error.
      const { code, constraint } = sqlError(err);
      if (code === UNIQUE_VIOLATION && constraint === 'users_handle_lower')
        return { ok: false, reason: 'handle_taken' };
      throw err;
    }
  }

  async byId(id: string): Promise<User | undefined> {
    const [row] = await this.#db.query<UserRow>('SELECT * FROM users WHERE id = $1', [id]);
    return row ? toUser(row) : undefined;
  }

  async byHandle(handle: string): Promise<UserWithSecret | undefined> {
    const [row] = await this.#db.query<UserRow>('SELECT * FROM users WHERE lower(handle) = lower($1)', [
      handle,
    ]);
    return row ? { ...toUser(row), passwordHash: row.password_hash } : undefined;
  }

  /** In the caller's order (stages and listener pages are ordered), unknown ids left out, duplicates once. */
  async byIds(ids: readonly string[]): Promise<User[]> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return [];
    const rows = await this.#db.query<UserRow>('SELECT * FROM users WHERE id = ANY($1::text[])', [unique]);
    const byId = new Map(rows.map((r) => [r.id, toUser(r)]));
    return unique.flatMap((id) => byId.get(id) ?? []);
  }
}
