/**
 * The wire contract's shapes for pinned posts and recent recordings (REST). Like rest.ts: routes validate
 * with them, OpenAPI describes them, clients take their types from them.
 */
import { z } from 'zod';
import { Id, SpaceViewSchema, UserViewSchema } from './rest.js';

/** At most this many pins per space (X allows a handful at the top of a space). */
export const MAX_PINS = 5;

/**
 * A link anyone may open: http or https only (never `javascript:`, `data:` or a file), with a host, no
 * credentials in it. The server never fetches it.
 */
export const PinUrl = z
  .string()
  .trim()
  .max(2048)
  .refine(
    (v) => {
      try {
        const u = new URL(v);
        return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '' && u.username === '';
      } catch {
        return false; // not a URL at all: refused like any other bad link
      }
    },
    { message: 'must be an http or https link' },
  );

export const PinBody = z
  .object({
    title: z
      .string()
      .trim()
      .min(1)
      .max(100)
      .regex(/^[^\p{Cc}\p{Cs}]*$/u, 'must not contain control characters'),
    url: PinUrl,
  })
  .strict();

export const PinParams = z.object({ id: Id, pinId: Id }).strict();

export const PinViewSchema = z.object({
  id: z.string(),
  title: z.string(),
  url: z.string(),
  pinnedBy: UserViewSchema,
  createdAt: z.string(),
});
export const PinListSchema = z.object({ pins: z.array(PinViewSchema) });

export const RecentReplaysQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(50).default(20),
    cursor: z.string().max(200).optional(),
  })
  .strict();

export const RecentReplaySchema = z.object({
  space: SpaceViewSchema,
  durationSeconds: z.number(),
  plays: z.number().int(),
  finishedAt: z.string(),
  replayUrl: z.string(),
});
export const RecentReplayListSchema = z.object({
  replays: z.array(RecentReplaySchema),
  nextCursor: z.string().nullable(),
});

export type PinInput = z.infer<typeof PinBody>;
export type PinView = z.infer<typeof PinViewSchema>;
export type PinList = z.infer<typeof PinListSchema>;
export type RecentReplay = z.infer<typeof RecentReplaySchema>;
export type RecentReplayList = z.infer<typeof RecentReplayListSchema>;

/** A space's numbers for its host: during the space and after it. */
export const SpaceAnalyticsSchema = z.object({
  spaceId: z.string(),
  state: z.enum(['scheduled', 'live', 'ended', 'cancelled', 'backstage']),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  /** Seconds live so far (or in all, once ended). */
  durationSeconds: z.number().int(),
  /** Listeners now (0 unless live). */
  liveListeners: z.number().int(),
  peakListeners: z.number().int(),
  /** Distinct live listeners (signed-in users, and anonymous listeners by their ticket's id). */
  uniqueListeners: z.number().int(),
  /** Distinct people on stage, the host included. */
  speakers: z.number().int(),
  replayPlays: z.number().int(),
  /** Sampled live listeners over time, oldest first. */
  curve: z.array(z.object({ at: z.string(), listeners: z.number().int() })),
  sampleSeconds: z.number().int(),
});
export type SpaceAnalytics = z.infer<typeof SpaceAnalyticsSchema>;
