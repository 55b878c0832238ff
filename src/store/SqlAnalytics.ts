/** Space analytics in SQL: a listener curve in shared time buckets, the peak, unique listeners, speakers. */
import type { SqlClient } from './SqlClient.js';
import type { AnalyticsRepo, SpaceSample, SpaceStats } from './Store.js';
import { iso } from './rows.js';

export class SqlAnalytics implements AnalyticsRepo {
  readonly #db: SqlClient;

  constructor(db: SqlClient) {
    this.#db = db;
  }

  async record(spaceId: string, s: SpaceSample): Promise<void> {
    await this.#db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO space_samples (space_id, at, listeners) VALUES ($1, $2, $3)
         ON CONFLICT (space_id, at) DO UPDATE SET listeners = GREATEST(space_samples.listeners, EXCLUDED.listeners)`,
        [spaceId, s.at, s.listeners],
      );
      await tx.query(
        `INSERT INTO space_stats (space_id, peak_listeners, unique_listeners) VALUES ($1, $2, $3)
         ON CONFLICT (space_id) DO UPDATE SET
           peak_listeners = GREATEST(space_stats.peak_listeners, EXCLUDED.peak_listeners),
           unique_listeners = GREATEST(space_stats.unique_listeners, EXCLUDED.unique_listeners)`,
        [spaceId, s.listeners, s.uniqueListeners],
      );
      if (s.stageUserIds.length > 0)
        await tx.query(
          `INSERT INTO space_speakers (space_id, user_id) SELECT $1, unnest($2::text[])
           ON CONFLICT (space_id, user_id) DO NOTHING`,
          [spaceId, [...s.stageUserIds]],
        );
    });
  }

  async get(spaceId: string, maxPoints: number): Promise<SpaceStats> {
    const [stats] = await this.#db.query<{ peak: number; uniques: number; speakers: number }>(
      `SELECT coalesce((SELECT peak_listeners FROM space_stats WHERE space_id = $1), 0)::int AS peak,
              coalesce((SELECT unique_listeners FROM space_stats WHERE space_id = $1), 0)::int AS uniques,
              (SELECT count(*) FROM space_speakers WHERE space_id = $1)::int AS speakers`,
      [spaceId],
    );
    const rows = await this.#db.query<{ at: Date; listeners: number }>(
      `SELECT at, listeners FROM (
         SELECT at, listeners FROM space_samples WHERE space_id = $1 ORDER BY at DESC LIMIT $2
       ) newest ORDER BY at`,
      [spaceId, maxPoints],
    );
    return {
      peakListeners: stats?.peak ?? 0,
      uniqueListeners: stats?.uniques ?? 0,
      speakers: stats?.speakers ?? 0,
      curve: rows.map((r) => ({ at: iso(r.at), listeners: Number(r.listeners) })),
    };
  }
}
