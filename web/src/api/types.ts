/**
 * The API's shapes as the browser sees them. The wire protocol has one home, the server's protocol.ts;
 * these are type-only imports (erased at build), so no server code reaches the bundle.
 */
import type {
  ReactionEmoji,
  ServerEvent,
  SpaceView,
  StageCause,
  StageMemberView,
  UserView,
} from '../../../src/api/protocol.js';

export type { ReactionEmoji, ServerEvent, SpaceView, StageCause, StageMemberView, UserView };
export type SpaceState = SpaceView['state'];
export type StageRole = StageMemberView['role'];
/** One server event by its type. */
export type EventOf<T extends ServerEvent['type']> = Extract<ServerEvent, { type: T }>;

/** The fixed reaction set: the server's own list (a module with no imports). */
export { REACTION_EMOJI as REACTIONS } from '../../../src/api/reactions.js';

export interface User extends UserView {
  createdAt: string;
}

export interface Session {
  user: User;
  token: string;
  expiresAt: string;
}

export interface SpaceList {
  spaces: SpaceView[];
  nextCursor: string | null;
}

export interface NewSpace {
  title: string;
  topics: string[];
  record: boolean;
  anonymousListening: boolean;
  scheduledFor?: string;
}

export type { Admission } from '../../../src/control/Audience.js';

export interface TicketRenewal {
  ticket: string;
  expiresAt: string;
}

export interface ListenerPage {
  users: User[];
  nextCursor: string | null;
  count: number;
}

export interface SpeakRequest {
  user: UserView;
  createdAt: string;
}

export interface Replay {
  playlistUrl: string;
  durationSeconds: number;
  plays: number;
}

/** The error body every route answers with: `{ error: { code, message, retryAfter?, details? } }`. */
export interface ErrorBody {
  error: { code: string; message: string; retryAfter?: number; details?: Record<string, unknown> };
}

/** Moderation verbs on one user: POST /api/v1/spaces/:id/users/:userId/<verb>. */
export type UserAction = 'invite' | 'cohost' | 'uncohost' | 'mute' | 'unmute' | 'take-mic' | 'remove';
