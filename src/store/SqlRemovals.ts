/** Who was removed from which space (they may not come back as listeners or speakers), in SQL. */
import type { SqlClient } from './SqlClient.js';
import type { RemovalRepo } from './Store.js';

export class SqlRemovals implements RemovalRepo {
  readonly #db: SqlClient;

  constructor(db: SqlClient) {
    this.#db = db;
  }

  /** The first removal's author and time are kept. */
  async add(spaceId: string, userId: string, by: string, at: string): Promise<void> {
    await this.#db.query(
      `INSERT INTO removals (space_id, user_id, removed_by, created_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (space_id, user_id) DO NOTHING`,
      [spaceId, userId, by, at],
    );
  }

  async has(spaceId: string, userId: string): Promise<boolean> {
    const rows = await this.#db.query('SELECT 1 FROM removals WHERE space_id = $1 AND user_id = $2', [
      spaceId,
      userId,
    ]);
    return rows.length > 0;
  }

  /** Oldest removal first. */
  async list(spaceId: string): Promise<string[]> {
    const rows = await this.#db.query<{ user_id: string }>(
      'SELECT user_id FROM removals WHERE space_id = $1 ORDER BY created_at, user_id',
      [spaceId],
    );
    return rows.map((r) => r.user_id);
  }
}
