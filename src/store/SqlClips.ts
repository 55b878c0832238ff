/** Clips in SQL: one row per clip, kept after deletion (deleted_at) so an old link answers 410. */
import type { SqlClient } from './SqlClient.js';
import type { Clip, ClipRepo } from './Store.js';
import { iso, isoOrNull } from './rows.js';

interface ClipRow {
  id: string;
  space_id: string;
  recording_id: string;
  start_s: number | string;
  end_s: number | string;
  codec: 'aac' | 'opus';
  creator_id: string | null;
  created_at: Date;
  expires_at: Date;
  deleted_at: Date | null;
}

const toClip = (r: ClipRow): Clip => ({
  id: r.id,
  spaceId: r.space_id,
  recordingId: r.recording_id,
  startSeconds: Number(r.start_s),
  endSeconds: Number(r.end_s),
  codec: r.codec,
  creatorId: r.creator_id,
  createdAt: iso(r.created_at),
  expiresAt: iso(r.expires_at),
  deletedAt: isoOrNull(r.deleted_at),
});

export class SqlClips implements ClipRepo {
  readonly #db: SqlClient;

  constructor(db: SqlClient) {
    this.#db = db;
  }

  async create(clip: Omit<Clip, 'deletedAt'>): Promise<Clip> {
    const [row] = await this.#db.query<ClipRow>(
      `INSERT INTO clips (id, space_id, recording_id, start_s, end_s, codec, creator_id, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *`,
      [
        clip.id,
        clip.spaceId,
        clip.recordingId,
        clip.startSeconds,
        clip.endSeconds,
        clip.codec,
        clip.creatorId,
        clip.createdAt,
        clip.expiresAt,
      ],
    );
    if (!row) throw new Error('INSERT … RETURNING returned no row');
    return toClip(row);
  }

  async get(id: string): Promise<Clip | undefined> {
    const [row] = await this.#db.query<ClipRow>('SELECT * FROM clips WHERE id = $1', [id]);
    return row ? toClip(row) : undefined;
  }

  async byIds(ids: readonly string[]): Promise<Clip[]> {
    if (ids.length === 0) return [];
    const rows = await this.#db.query<ClipRow>('SELECT * FROM clips WHERE id = ANY($1::text[])', [[...ids]]);
    return rows.map(toClip);
  }

  async listForSpace(spaceId: string, now: string, limit: number): Promise<Clip[]> {
    const rows = await this.#db.query<ClipRow>(
      `SELECT * FROM clips WHERE space_id = $1 AND deleted_at IS NULL AND expires_at > $2
       ORDER BY created_at DESC, id LIMIT $3`,
      [spaceId, now, limit],
    );
    return rows.map(toClip);
  }

  async markDeleted(id: string, at: string): Promise<boolean> {
    const rows = await this.#db.query(
      'UPDATE clips SET deleted_at = coalesce(deleted_at, $2) WHERE id = $1 RETURNING id',
      [id, at],
    );
    return rows.length > 0;
  }

  async listExpired(now: string, limit: number): Promise<Clip[]> {
    const rows = await this.#db.query<ClipRow>(
      `SELECT * FROM clips WHERE deleted_at IS NULL AND expires_at <= $1
       ORDER BY expires_at, id LIMIT $2`,
      [now, limit],
    );
    return rows.map(toClip);
  }
}
