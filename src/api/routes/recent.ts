/** Recent recordings: replays that can be found, newest first, with their spaces (cacheable). */
import type { ControlPlane } from '../../control/ControlPlane.js';
import { RecentReplayListSchema, RecentReplaysQuery, type RecentReplay } from '../../contract/experience.js';
import { route, type RouteDef } from '../Route.js';

const DAY_MS = 86_400_000;

export function recentRoutes(plane: ControlPlane): RouteDef[] {
  return [
    route({
      method: 'GET',
      url: '/api/v1/replays',
      operationId: 'listRecentReplays',
      summary: 'Recent recordings, newest first: finished, not deleted, within retention. Cacheable.',
      tag: 'replay',
      auth: 'none',
      query: RecentReplaysQuery,
      response: { status: 200, description: 'A page of replays', schema: RecentReplayListSchema },
      errors: ['validation_failed'],
      handler: async ({ query, reply }) => {
        void reply.header('cache-control', 'public, max-age=10, stale-while-revalidate=30');
        const { ctx } = plane;
        const page = await ctx.store.replays.recent(query.limit, query.cursor);
        // Retention deletes hourly; one past its time is already gone for clients.
        const oldest = ctx.clock.now().getTime() - ctx.config.media.retentionDays * DAY_MS;
        const replays = await Promise.all(
          page.replays
            .filter((r) => r.recording.finishedAt !== null && Date.parse(r.recording.finishedAt) > oldest)
            .map(async (r): Promise<RecentReplay> => ({
              space: await plane.spaces.view(r.space.id, r.space),
              durationSeconds: r.recording.durationSeconds,
              plays: r.recording.plays,
              finishedAt: r.recording.finishedAt as string,
              replayUrl: `${ctx.config.publicUrl}/r/${r.space.id}`,
            })),
        );
        return { replays, nextCursor: page.nextCursor };
      },
    }),
  ];
}
