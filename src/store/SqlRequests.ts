/** Requests to speak and invitations to speak, in SQL. */
import type { Invitation, SpeakRequest } from '../domain/types.js';
import type { SqlClient } from './SqlClient.js';
import type { RequestRepo } from './Store.js';
import { iso } from './rows.js';

export class SqlRequests implements RequestRepo {
  readonly #db: SqlClient;

  constructor(db: SqlClient) {
    this.#db = db;
  }

  /** A repeated request keeps its first time (and so its place in the queue). */
  async addRequest(spaceId: string, userId: string, at: string): Promise<SpeakRequest> {
    // The no-op DO UPDATE makes RETURNING give the stored row whether it was inserted or already there.
    const [row] = await this.#db.query<{ created_at: Date }>(
      `INSERT INTO speak_requests (space_id, user_id, created_at) VALUES ($1, $2, $3)
       ON CONFLICT (space_id, user_id) DO UPDATE SET created_at = speak_requests.created_at RETURNING created_at`,
      [spaceId, userId, at],
    );
    return { spaceId, userId, createdAt: iso(row?.created_at ?? at) };
  }

  async removeRequest(spaceId: string, userId: string): Promise<boolean> {
    const rows = await this.#db.query(
      'DELETE FROM speak_requests WHERE space_id = $1 AND user_id = $2 RETURNING user_id',
      [spaceId, userId],
    );
    return rows.length > 0;
  }

  async hasRequest(spaceId: string, userId: string): Promise<boolean> {
    const rows = await this.#db.query('SELECT 1 FROM speak_requests WHERE space_id = $1 AND user_id = $2', [
      spaceId,
      userId,
    ]);
    return rows.length > 0;
  }

  async listRequests(spaceId: string, limit: number): Promise<SpeakRequest[]> {
    const rows = await this.#db.query<{ user_id: string; created_at: Date }>(
      'SELECT user_id, created_at FROM speak_requests WHERE space_id = $1 ORDER BY created_at, user_id LIMIT $2',
      [spaceId, limit],
    );
    return rows.map((r) => ({ spaceId, userId: r.user_id, createdAt: iso(r.created_at) }));
  }

  async countRequests(spaceId: string): Promise<number> {
    const [row] = await this.#db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM speak_requests WHERE space_id = $1',
      [spaceId],
    );
    return row?.n ?? 0;
  }

  async addInvitation(inv: Invitation): Promise<void> {
    await this.#db.query(
      `INSERT INTO invitations (space_id, user_id, invited_by, created_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (space_id, user_id) DO UPDATE SET invited_by = EXCLUDED.invited_by, created_at = EXCLUDED.created_at`,
      [inv.spaceId, inv.userId, inv.invitedBy, inv.createdAt],
    );
  }

  async getInvitation(spaceId: string, userId: string): Promise<Invitation | undefined> {
    const [r] = await this.#db.query<{ invited_by: string; created_at: Date }>(
      'SELECT invited_by, created_at FROM invitations WHERE space_id = $1 AND user_id = $2',
      [spaceId, userId],
    );
    return r ? { spaceId, userId, invitedBy: r.invited_by, createdAt: iso(r.created_at) } : undefined;
  }

  async removeInvitation(spaceId: string, userId: string): Promise<boolean> {
    const rows = await this.#db.query(
      'DELETE FROM invitations WHERE space_id = $1 AND user_id = $2 RETURNING user_id',
      [spaceId, userId],
    );
    return rows.length > 0;
  }

  async clearSpace(spaceId: string): Promise<void> {
    await this.#db.transaction(async (tx) => {
      await tx.query('DELETE FROM speak_requests WHERE space_id = $1', [spaceId]);
      await tx.query('DELETE FROM invitations WHERE space_id = $1', [spaceId]);
    });
  }
}
