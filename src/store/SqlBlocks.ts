/** Who blocked whom, in SQL. */
import type { SqlClient } from './SqlClient.js';
import type { BlockRepo } from './Store.js';

export class SqlBlocks implements BlockRepo {
  readonly #db: SqlClient;

  constructor(db: SqlClient) {
    this.#db = db;
  }

  async add(blockerId: string, blockedId: string): Promise<void> {
    await this.#db.query(
      'INSERT INTO blocks (blocker_id, blocked_id) VALUES ($1, $2) ON CONFLICT (blocker_id, blocked_id) DO NOTHING',
      [blockerId, blockedId],
    );
  }

  async remove(blockerId: string, blockedId: string): Promise<void> {
    await this.#db.query('DELETE FROM blocks WHERE blocker_id = $1 AND blocked_id = $2', [
      blockerId,
      blockedId,
    ]);
  }

  async has(blockerId: string, blockedId: string): Promise<boolean> {
    const rows = await this.#db.query('SELECT 1 FROM blocks WHERE blocker_id = $1 AND blocked_id = $2', [
      blockerId,
      blockedId,
    ]);
    return rows.length > 0;
  }

  /** Oldest block first. */
  async listBlocked(blockerId: string): Promise<string[]> {
    const rows = await this.#db.query<{ blocked_id: string }>(
      'SELECT blocked_id FROM blocks WHERE blocker_id = $1 ORDER BY created_at, blocked_id',
      [blockerId],
    );
    return rows.map((r) => r.blocked_id);
  }
}
