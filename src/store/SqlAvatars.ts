/** Avatars in SQL: one small re-encoded image per user, and its version on the user's row. */
import type { SqlClient } from './SqlClient.js';
import type { Avatar, AvatarRepo } from './Store.js';
import { iso } from './rows.js';

interface AvatarRow {
  user_id: string;
  image: Uint8Array;
  content_type: string;
  version: string;
  updated_at: Date;
}

export class SqlAvatars implements AvatarRepo {
  readonly #db: SqlClient;

  constructor(db: SqlClient) {
    this.#db = db;
  }

  async put(a: Avatar): Promise<void> {
    await this.#db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO avatars (user_id, image, content_type, version, updated_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (user_id) DO UPDATE SET image = EXCLUDED.image, content_type = EXCLUDED.content_type,
           version = EXCLUDED.version, updated_at = EXCLUDED.updated_at`,
        [
          a.userId,
          Buffer.from(a.image.buffer, a.image.byteOffset, a.image.byteLength),
          a.contentType,
          a.version,
          a.updatedAt,
        ],
      );
      await tx.query('UPDATE users SET avatar_version = $2 WHERE id = $1', [a.userId, a.version]);
    });
  }

  async get(userId: string): Promise<Avatar | undefined> {
    const [r] = await this.#db.query<AvatarRow>('SELECT * FROM avatars WHERE user_id = $1', [userId]);
    if (!r) return undefined;
    return {
      userId: r.user_id,
      image: r.image,
      contentType: r.content_type,
      version: r.version,
      updatedAt: iso(r.updated_at),
    };
  }

  async remove(userId: string): Promise<boolean> {
    return this.#db.transaction(async (tx) => {
      const rows = await tx.query('DELETE FROM avatars WHERE user_id = $1 RETURNING user_id', [userId]);
      await tx.query('UPDATE users SET avatar_version = NULL WHERE id = $1', [userId]);
      return rows.length > 0;
    });
  }
}
