/** Who is on stage, in SQL; the co-host and speaker limits hold under concurrent writers on any node. */
import type { StageMember } from '../domain/types.js';
import type { SqlClient } from './SqlClient.js';
import type { StageLimits, StagePutResult, StageRepo } from './Store.js';
import { toMember, type MemberRow } from './rows.js';

export class SqlStage implements StageRepo {
  readonly #db: SqlClient;

  constructor(db: SqlClient) {
    this.#db = db;
  }

  /** In order of joining. */
  async members(spaceId: string): Promise<StageMember[]> {
    const rows = await this.#db.query<MemberRow>(
      'SELECT * FROM stage_members WHERE space_id = $1 ORDER BY joined_at, user_id',
      [spaceId],
    );
    return rows.map(toMember);
  }

  async member(spaceId: string, userId: string): Promise<StageMember | undefined> {
    const [row] = await this.#db.query<MemberRow>(
      'SELECT * FROM stage_members WHERE space_id = $1 AND user_id = $2',
      [spaceId, userId],
    );
    return row ? toMember(row) : undefined;
  }

  /**
   * Locks the space row, counts the others by role, checks the limit, upserts. The lock serialises every
   * put on one space across connections and processes, so two racing puts cannot both take the last seat.
   * Throws a TypeError for the host (the host's role never changes) or an unknown space.
   */
  async put(
    spaceId: string,
    userId: string,
    role: 'cohost' | 'speaker',
    limits: StageLimits,
  ): Promise<StagePutResult> {
    return this.#db.transaction(async (tx): Promise<StagePutResult> => {
      const [space] = await tx.query<{ host_id: string }>(
        'SELECT host_id FROM spaces WHERE id = $1 FOR UPDATE',
        [spaceId],
      );
      if (!space) throw new TypeError(`stage.put: no space ${spaceId}`);
      if (space.host_id === userId) throw new TypeError('stage.put: the host is on stage as host already');
      const [counts] = await tx.query<{ cohosts: number; speakers: number }>(
        `SELECT count(*) FILTER (WHERE role = 'cohost')::int AS cohosts,
                count(*) FILTER (WHERE role = 'speaker')::int AS speakers
           FROM stage_members WHERE space_id = $1 AND user_id <> $2`,
        [spaceId, userId],
      );
      if (role === 'cohost' && (counts?.cohosts ?? 0) >= limits.maxCohosts)
        return { ok: false, reason: 'cohost_limit' };
      if (role === 'speaker' && (counts?.speakers ?? 0) >= limits.maxSpeakers) {
        return { ok: false, reason: 'speaker_limit' };
      }
      // A newcomer starts muted; a role change keeps the muted flag and the time of joining.
      const [row] = await tx.query<MemberRow>(
        `INSERT INTO stage_members (space_id, user_id, role, muted, joined_at) VALUES ($1, $2, $3, true, now())
         ON CONFLICT (space_id, user_id) DO UPDATE SET role = EXCLUDED.role RETURNING *`,
        [spaceId, userId, role],
      );
      if (!row) throw new Error('INSERT … RETURNING returned no row');
      return { ok: true, member: toMember(row) };
    });
  }

  /** The host cannot be removed (the space ends instead): false for them. */
  async remove(spaceId: string, userId: string): Promise<boolean> {
    const rows = await this.#db.query(
      `DELETE FROM stage_members WHERE space_id = $1 AND user_id = $2 AND role <> 'host' RETURNING user_id`,
      [spaceId, userId],
    );
    return rows.length > 0;
  }

  async setMuted(spaceId: string, userId: string, muted: boolean): Promise<boolean> {
    const rows = await this.#db.query(
      'UPDATE stage_members SET muted = $3 WHERE space_id = $1 AND user_id = $2 RETURNING user_id',
      [spaceId, userId, muted],
    );
    return rows.length > 0;
  }

  async muteAll(spaceId: string, exceptUserId: string): Promise<string[]> {
    const rows = await this.#db.query<{ user_id: string }>(
      'UPDATE stage_members SET muted = true WHERE space_id = $1 AND user_id <> $2 AND NOT muted RETURNING user_id',
      [spaceId, exceptUserId],
    );
    return rows.map((r) => r.user_id).sort();
  }

  /** Everyone but the host leaves the stage; the host's row stays, so an ended space still names its host. */
  async clear(spaceId: string): Promise<void> {
    await this.#db.query(`DELETE FROM stage_members WHERE space_id = $1 AND role <> 'host'`, [spaceId]);
  }
}
