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
    state: z.enum(['live', 'scheduled']).default('live'),
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
export const UserViewSchema = z.object({ id: z.string(), handle: z.string(), displayName: z.string() });
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
export const RequestsSchema = z.object({
  requests: z.array(z.object({ user: UserViewSchema, createdAt: z.string() })),
});
export const ReplaySchema = z.object({
  playlistUrl: z.string(),
  durationSeconds: z.number(),
  plays: z.number().int(),
  /** The whole recording as one .m4a (AAC-LC), when it has the AAC rendition. */
  downloadUrl: z.string().optional(),
});
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
export type Replay = z.infer<typeof ReplaySchema>;
export type SpeakRequest = z.infer<typeof RequestsSchema>['requests'][number];
/** The error body every route answers with: `{ error: { code, message, retryAfter?, details? } }`. */
export type ErrorBody = z.infer<typeof ErrorSchema>;
