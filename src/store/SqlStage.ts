/** The stage, requests, invitations and removals in SQL; stage limits hold under concurrent writers. */
import type { Invitation, SpeakRequest, StageMember } from '../domain/types.js';
import type { SqlClient } from './SqlClient.js';
import type { RemovalRepo, RequestRepo, StageLimits, StagePutResult, StageRepo } from './Store.js';
import { iso, toMember, type MemberRow } from './rows.js';

export class SqlStage implements StageRepo {
  constructor(private readonly db: SqlClient) {}

  async members(spaceId: string): Promise<StageMember[]> {
    const rows = await this.db.query<MemberRow>(
      'SELECT * FROM stage_members WHERE space_id = $1 ORDER BY joined_at, user_id',
      [spaceId],
    );
    return rows.map(toMember);
  }

  async member(spaceId: string, userId: string): Promise<StageMember | undefined> {
    const [row] = await this.db.query<MemberRow>(
      'SELECT * FROM stage_members WHERE space_id = $1 AND user_id = $2',
      [spaceId, userId],
    );
    return row ? toMember(row) : undefined;
  }

  async put(
    spaceId: string,
    userId: string,
    role: 'cohost' | 'speaker',
    limits: StageLimits,
  ): Promise<StagePutResult> {
    return this.db.transaction(async (tx) => {
      // Locking the space row serialises every stage change of this space, across processes.
      await tx.query('SELECT id FROM spaces WHERE id = $1 FOR UPDATE', [spaceId]);
      const others = await tx.query<{ role: string; n: number }>(
        `SELECT role, count(*)::int AS n FROM stage_members WHERE space_id = $1 AND user_id <> $2 GROUP BY role`,
        [spaceId, userId],
      );
      const n = others.find((r) => r.role === role)?.n ?? 0;
      if (role === 'cohost' && n >= limits.maxCohosts) return { ok: false, reason: 'cohost_limit' } as const;
      if (role === 'speaker' && n >= limits.maxSpeakers)
        return { ok: false, reason: 'speaker_limit' } as const;
      const [row] = await tx.query<MemberRow>(
        `INSERT INTO stage_members (space_id, user_id, role, muted, joined_at) VALUES ($1, $2, $3, true, now())
         ON CONFLICT (space_id, user_id) DO UPDATE SET role = EXCLUDED.role RETURNING *`,
        [spaceId, userId, role],
      );
      return { ok: true, member: toMember(row as MemberRow) } as const;
    });
  }

  async remove(spaceId: string, userId: string): Promise<boolean> {
    return (
      (
        await this.db.query(
          `DELETE FROM stage_members WHERE space_id = $1 AND user_id = $2 AND role <> 'host' RETURNING user_id`,
          [spaceId, userId],
        )
      ).length > 0
    );
  }

  async setMuted(spaceId: string, userId: string, muted: boolean): Promise<boolean> {
    return (
      (
        await this.db.query(
          'UPDATE stage_members SET muted = $3 WHERE space_id = $1 AND user_id = $2 RETURNING user_id',
          [spaceId, userId, muted],
        )
      ).length > 0
    );
  }

  async muteAll(spaceId: string, exceptUserId: string): Promise<string[]> {
    const rows = await this.db.query<{ user_id: string }>(
      'UPDATE stage_members SET muted = true WHERE space_id = $1 AND user_id <> $2 AND NOT muted RETURNING user_id',
      [spaceId, exceptUserId],
    );
    return rows.map((r) => r.user_id);
  }

  async clear(spaceId: string): Promise<void> {
    await this.db.query(`DELETE FROM stage_members WHERE space_id = $1 AND role <> 'host'`, [spaceId]);
  }
}

export class SqlRequests implements RequestRepo {
  constructor(private readonly db: SqlClient) {}

  async addRequest(spaceId: string, userId: string, at: string): Promise<SpeakRequest> {
    await this.db.query(
      'INSERT INTO speak_requests (space_id, user_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
      [spaceId, userId, at],
    );
    const [row] = await this.db.query<{ created_at: Date }>(
      'SELECT created_at FROM speak_requests WHERE space_id = $1 AND user_id = $2',
      [spaceId, userId],
    );
    return { spaceId, userId, createdAt: iso(row?.created_at ?? at) };
  }

  async removeRequest(spaceId: string, userId: string): Promise<boolean> {
    return (
      (
        await this.db.query(
          'DELETE FROM speak_requests WHERE space_id = $1 AND user_id = $2 RETURNING user_id',
          [spaceId, userId],
        )
      ).length > 0
    );
  }

  async hasRequest(spaceId: string, userId: string): Promise<boolean> {
    return (
      (
        await this.db.query('SELECT 1 FROM speak_requests WHERE space_id = $1 AND user_id = $2', [
          spaceId,
          userId,
        ])
      ).length > 0
    );
  }

  async listRequests(spaceId: string, limit: number): Promise<SpeakRequest[]> {
    const rows = await this.db.query<{ user_id: string; created_at: Date }>(
      'SELECT user_id, created_at FROM speak_requests WHERE space_id = $1 ORDER BY created_at, user_id LIMIT $2',
      [spaceId, limit],
    );
    return rows.map((r) => ({ spaceId, userId: r.user_id, createdAt: iso(r.created_at) }));
  }

  async countRequests(spaceId: string): Promise<number> {
    const [row] = await this.db.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM speak_requests WHERE space_id = $1',
      [spaceId],
    );
    return row?.n ?? 0;
  }

  async addInvitation(inv: Invitation): Promise<void> {
    await this.db.query(
      `INSERT INTO invitations (space_id, user_id, invited_by, created_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (space_id, user_id) DO UPDATE SET invited_by = EXCLUDED.invited_by, created_at = EXCLUDED.created_at`,
      [inv.spaceId, inv.userId, inv.invitedBy, inv.createdAt],
    );
  }

  async getInvitation(spaceId: string, userId: string): Promise<Invitation | undefined> {
    const [r] = await this.db.query<{ invited_by: string; created_at: Date }>(
      'SELECT invited_by, created_at FROM invitations WHERE space_id = $1 AND user_id = $2',
      [spaceId, userId],
    );
    return r ? { spaceId, userId, invitedBy: r.invited_by, createdAt: iso(r.created_at) } : undefined;
  }

  async removeInvitation(spaceId: string, userId: string): Promise<boolean> {
    return (
      (
        await this.db.query(
          'DELETE FROM invitations WHERE space_id = $1 AND user_id = $2 RETURNING user_id',
          [spaceId, userId],
        )
      ).length > 0
    );
  }

  async clearSpace(spaceId: string): Promise<void> {
    await this.db.query('DELETE FROM speak_requests WHERE space_id = $1', [spaceId]);
    await this.db.query('DELETE FROM invitations WHERE space_id = $1', [spaceId]);
  }
}

export class SqlRemovals implements RemovalRepo {
  constructor(private readonly db: SqlClient) {}

  async add(spaceId: string, userId: string, by: string, at: string): Promise<void> {
    await this.db.query(
      'INSERT INTO removals (space_id, user_id, removed_by, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING',
      [spaceId, userId, by, at],
    );
  }

  async has(spaceId: string, userId: string): Promise<boolean> {
    return (
      (await this.db.query('SELECT 1 FROM removals WHERE space_id = $1 AND user_id = $2', [spaceId, userId]))
        .length > 0
    );
  }

  async list(spaceId: string): Promise<string[]> {
    const rows = await this.db.query<{ user_id: string }>(
      'SELECT user_id FROM removals WHERE space_id = $1 ORDER BY created_at, user_id',
      [spaceId],
    );
    return rows.map((r) => r.user_id);
  }
}
