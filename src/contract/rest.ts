/**
 * The REST half of the wire contract: request and response shapes. Routes validate input with them and
 * describe the API in OpenAPI from them; the client, the CLI and the web app take their types from them
 * (`z.infer`), so each shape has one definition. Imports nothing from the server but the domain's enums.
 */
import { z } from 'zod';
import { SPACE_STATES, STAGE_ROLES } from '../domain/types.js';
import { REACTION_EMOJI } from './reactions.js';

/**
 * The cookie that carries a listener ticket to the media path (`Path=/live/{id}/`); clients that keep no
 * cookies send it themselves, or `?ticket=`.
 */
export const TICKET_COOKIE = 'rostra_ticket';

/** Ids that `newId` makes, and nothing a hostile client could smuggle into a key or path. */
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

// Printable text: no control characters (they break logs and UIs), trimmed.
const text = (min: number, max: number) =>
  z
    .string()
    .trim()
    .min(min)
    .max(max)
    .regex(/^[^\p{Cc}\p{Cs}]*$/u, 'must not contain control characters');

export const Id = z.string().regex(ID_PATTERN, 'must be an id');
export const Handle = z.string().regex(/^[A-Za-z0-9_]{3,15}$/, '3 to 15 letters, digits or _');
export const Password = z.string().min(8).max(128);
export const DisplayName = text(1, 50);

export const IdParams = z.object({ id: Id }).strict();
export const SpaceUserParams = z.object({ id: Id, userId: Id }).strict();
export const HandleParams = z.object({ handle: Handle }).strict();
export const NoQuery = z.object({}).strict();

export const SignUpBody = z.object({ handle: Handle, password: Password, displayName: DisplayName }).strict();
export const SignInBody = z.object({ handle: Handle, password: Password }).strict();

export const NewSpaceBody = z
  .object({
    title: text(1, 70),
    topics: z.array(text(1, 30)).max(10).default([]),
    record: z.boolean().default(true),
    anonymousListening: z.boolean().default(true),
    scheduledFor: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();

export const ListSpacesQuery = z
  .object({
    state: z.enum(['live', 'scheduled', 'backstage']).default('live'),
    limit: z.coerce.number().int().min(1).max(50).default(20),
    cursor: z.string().max(200).optional(),
  })
  .strict();

export const PageQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(50),
    cursor: z.string().max(200).optional(),
  })
  .strict();

export const Ticket = z.string().min(1).max(1024);
export const ListenBody = z.object({ ticket: Ticket.optional() }).strict().default({});
export const TicketBody = z.object({ ticket: Ticket }).strict();
export const ReactionBody = z.object({ emoji: z.enum(REACTION_EMOJI), ticket: Ticket.optional() }).strict();
export const UserIdBody = z.object({ userId: Id }).strict();
export const AnswerBody = z.object({ accept: z.boolean() }).strict();

// ---- responses: the routes declare them; tests check real responses against them ----
export const UserViewSchema = z.object({
  id: z.string(),
  handle: z.string(),
  displayName: z.string(),
  /** Their photo (a path on this server); absent when they have none: show coloured initials. */
  avatarUrl: z.string().optional(),
});
export const UserSchema = UserViewSchema.extend({ createdAt: z.string() });
export const SessionSchema = z.object({ user: UserSchema, token: z.string(), expiresAt: z.string() });
export const StageMemberSchema = UserViewSchema.extend({
  role: z.enum(STAGE_ROLES),
  muted: z.boolean(),
});
export const SpaceViewSchema = z.object({
  id: z.string(),
  title: z.string(),
  topics: z.array(z.string()),
  record: z.boolean(),
  anonymousListening: z.boolean(),
  state: z.enum(SPACE_STATES),
  scheduledFor: z.string().nullable(),
  startedAt: z.string().nullable(),
  endedAt: z.string().nullable(),
  createdAt: z.string(),
  host: UserViewSchema,
  stage: z.array(StageMemberSchema),
  listenerCount: z.number().int(),
  pageUrl: z.string(),
});
export const SpaceListSchema = z.object({
  spaces: z.array(SpaceViewSchema),
  nextCursor: z.string().nullable(),
});
export const AdmissionSchema = z.object({
  ticket: z.string(),
  expiresAt: z.string(),
  listenerId: z.string(),
  playlistUrl: z.string(),
  heartbeatSeconds: z.number().int(),
});
export const TicketRenewalSchema = z.object({ ticket: z.string(), expiresAt: z.string() });
export const ListenersSchema = z.object({
  users: z.array(UserSchema),
  nextCursor: z.string().nullable(),
  count: z.number().int(),
});
/** A sample of a space's signed-in listeners to show as faces, and how many more are listening. */
export const ListenerFacesSchema = z.object({
  faces: z.array(UserViewSchema),
  count: z.number().int(),
  /** Listeners not among the faces (anonymous ones, and signed-in ones past the sample). */
  others: z.number().int(),
});
export const AvatarSchema = z.object({ avatarUrl: z.string() });
export const AvatarQuery = z.object({ v: z.string().max(64).optional() }).strict();
/** Where the replay starts, in seconds into the recording (the host cuts what comes before). */
export const TrimBody = z.object({ startSeconds: z.number().finite() }).strict();
export const RequestsSchema = z.object({
  requests: z.array(z.object({ user: UserViewSchema, createdAt: z.string() })),
});
export const ReplaySchema = z.object({
  playlistUrl: z.string(),
  durationSeconds: z.number(),
  plays: z.number().int(),
  /** The whole recording as one .m4a (AAC-LC), when it has the AAC rendition. */
  downloadUrl: z.string().optional(),
  /** Seconds of the recording the host cut from its start (0: none); durationSeconds is what is left. */
  trimStartSeconds: z.number().optional(),
});
/** A clip: 5 to 60 s (default 30) of a live space's recording so far, or of a replay. */
export const NewClipBody = z
  .object({
    /** Seconds into the recording; absent: the last `durationSeconds` recorded. */
    startSeconds: z.number().finite().min(0).max(1_000_000).optional(),
    durationSeconds: z.number().finite().min(5).max(60).optional(),
    /** An anonymous listener's ticket: clipping a live space needs a session or a ticket. */
    ticket: Ticket.optional(),
  })
  .strict()
  .default({});
export const ClipParams = z.object({ clipId: Id }).strict();
export const ClipSchema = z.object({
  id: z.string(),
  spaceId: z.string(),
  spaceTitle: z.string(),
  host: UserViewSchema,
  /** Who made it; null for an anonymous listener. */
  creator: UserViewSchema.nullable(),
  startSeconds: z.number(),
  durationSeconds: z.number(),
  /** aac: an AAC-LC .m4a (plays in every browser); opus: Opus in MP4 (Chrome, Firefox, Edge). */
  codec: z.enum(['aac', 'opus']),
  audioUrl: z.string(),
  pageUrl: z.string(),
  createdAt: z.string(),
  expiresAt: z.string(),
  /** Whether the caller may delete it (its maker, the host or a co-host). */
  canDelete: z.boolean(),
});
export const ClipListSchema = z.object({ clips: z.array(ClipSchema) });
export const ErrorSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    retryAfter: z.number().int().optional(),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});

// ---- the types clients use: one definition each, inferred from the schemas above ----
export type NewSpace = z.input<typeof NewSpaceBody>;
export type UserView = z.infer<typeof UserViewSchema>;
export type User = z.infer<typeof UserSchema>;
export type Session = z.infer<typeof SessionSchema>;
export type StageMemberView = z.infer<typeof StageMemberSchema>;
export type SpaceView = z.infer<typeof SpaceViewSchema>;
export type SpaceList = z.infer<typeof SpaceListSchema>;
export type Admission = z.infer<typeof AdmissionSchema>;
export type TicketRenewal = z.infer<typeof TicketRenewalSchema>;
export type ListenerPage = z.infer<typeof ListenersSchema>;
export type ListenerFaces = z.infer<typeof ListenerFacesSchema>;
export type Replay = z.infer<typeof ReplaySchema>;
export type ClipView = z.infer<typeof ClipSchema>;
export type NewClip = z.input<typeof NewClipBody>;
export type SpeakRequest = z.infer<typeof RequestsSchema>['requests'][number];
/** The error body every route answers with: `{ error: { code, message, retryAfter?, details? } }`. */
export type ErrorBody = z.infer<typeof ErrorSchema>;
