/** Pinned posts in SQL: a few links per space, in the order they were pinned. */
import type { SqlClient } from './SqlClient.js';
import type { Pin, PinRepo } from './Store.js';
import { iso } from './rows.js';

interface PinRow {
  id: string;
  space_id: string;
  title: string;
  url: string;
  pinned_by: string;
  created_at: Date;
}

const toPin = (r: PinRow): Pin => ({
  id: r.id,
  spaceId: r.space_id,
  title: r.title,
  url: r.url,
  pinnedBy: r.pinned_by,
  createdAt: iso(r.created_at),
});

export class SqlPins implements PinRepo {
  readonly #db: SqlClient;

  constructor(db: SqlClient) {
    this.#db = db;
  }

  /** Locks the space row, so two racing pins cannot both take the last place (across processes too). */
  async add(pin: Pin, max: number): Promise<{ ok: true; pin: Pin } | { ok: false; reason: 'pin_limit' }> {
    return this.#db.transaction(async (tx) => {
      const [space] = await tx.query('SELECT 1 FROM spaces WHERE id = $1 FOR UPDATE', [pin.spaceId]);
      if (!space) throw new TypeError(`pins.add: no space ${pin.spaceId}`);
      const [count] = await tx.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM pins WHERE space_id = $1',
        [pin.spaceId],
      );
      if ((count?.n ?? 0) >= max) return { ok: false as const, reason: 'pin_limit' as const };
      const [row] = await tx.query<PinRow>(
        `INSERT INTO pins (id, space_id, title, url, pinned_by, created_at) VALUES ($1, $2, $3, $4, $5, $6)
         RETURNING *`,
        [pin.id, pin.spaceId, pin.title, pin.url, pin.pinnedBy, pin.createdAt],
      );
      if (!row) throw new Error('INSERT … RETURNING returned no row');
      return { ok: true as const, pin: toPin(row) };
    });
  }

  async list(spaceId: string): Promise<Pin[]> {
    const rows = await this.#db.query<PinRow>(
      'SELECT * FROM pins WHERE space_id = $1 ORDER BY created_at, id',
      [spaceId],
    );
    return rows.map(toPin);
  }

  async remove(spaceId: string, pinId: string): Promise<boolean> {
    const rows = await this.#db.query('DELETE FROM pins WHERE space_id = $1 AND id = $2 RETURNING id', [
      spaceId,
      pinId,
    ]);
    return rows.length > 0;
  }
}
