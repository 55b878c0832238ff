/**
 * The WebSocket wire protocol, version 1: one connection per client at `/api/v1/events`.
 * Every message is JSON with `v` and a `type` that discriminates it. Add types; never change a shipped one.
 * Part of the contract module (`src/contract/`), which the server, the CLI and the web app all import.
 */
import { z } from 'zod';
import type { SpaceState } from '../domain/types.js';
import type { ReactionEmoji } from './reactions.js';
import type { StageMemberView, UserView } from './rest.js';
import type { PinView } from './experience.js';

export const PROTOCOL_VERSION = 1;

export { REACTION_EMOJI, type ReactionEmoji } from './reactions.js';

/** Why the stage changed, so a client can say "the host muted you". */
export type StageCause =
  | 'joined'
  | 'left'
  | 'muted'
  | 'unmuted'
  | 'mute_all'
  | 'mic_taken'
  | 'removed'
  | 'cohost_added'
  | 'cohost_removed'
  | 'started'
  | 'ended'
  /** A speaker whose audio connection stayed gone left the stage on their own (SpaceLifecycle). */
  | 'disconnected';

/** Server → client events. */
export type ServerEvent =
  | { v: 1; type: 'hello'; connectionId: string; userId: string | null }
  | { v: 1; type: 'subscribed'; spaceId: string }
  | { v: 1; type: 'unsubscribed'; spaceId: string }
  | { v: 1; type: 'space.state'; spaceId: string; state: SpaceState; at: string }
  | {
      v: 1;
      type: 'stage.changed';
      spaceId: string;
      cause: StageCause;
      userId: string | null;
      by: string | null;
      stage: StageMemberView[];
    }
  | { v: 1; type: 'request.added'; spaceId: string; user: UserView }
  | {
      v: 1;
      type: 'request.removed';
      spaceId: string;
      userId: string;
      outcome: 'cancelled' | 'accepted' | 'declined';
    }
  | { v: 1; type: 'invitation'; spaceId: string; by: UserView }
  | { v: 1; type: 'invitation.removed'; spaceId: string; userId: string; outcome: 'accepted' | 'declined' }
  | {
      v: 1;
      type: 'reactions';
      spaceId: string;
      counts: Partial<Record<ReactionEmoji, number>>;
      recent: { userId: string | null; emoji: ReactionEmoji }[];
    }
  | { v: 1; type: 'count'; spaceId: string; listeners: number }
  /** On each change, and right after `subscribed`: one `speaking: true` per person speaking then. */
  | { v: 1; type: 'speaking'; spaceId: string; userId: string; speaking: boolean }
  | { v: 1; type: 'reminder'; spaceId: string; title: string; pageUrl: string }
  | { v: 1; type: 'removed'; spaceId: string }
  /** The pinned posts changed (added or unpinned): the whole list, oldest first. */
  | { v: 1; type: 'pins.changed'; spaceId: string; pins: PinView[] }
  | { v: 1; type: 'pong'; id: string | null }
  | { v: 1; type: 'error'; code: string; message: string };

export type ServerEventType = ServerEvent['type'];

const spaceId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/);

/** Client → server messages, validated strictly: unknown fields are refused. */
export const ClientMessage = z.discriminatedUnion('type', [
  z.object({ v: z.literal(1), type: z.literal('auth'), token: z.string().min(1).max(1024) }).strict(),
  z.object({ v: z.literal(1), type: z.literal('subscribe'), spaceId }).strict(),
  z.object({ v: z.literal(1), type: z.literal('unsubscribe'), spaceId }).strict(),
  z.object({ v: z.literal(1), type: z.literal('ping'), id: z.string().max(64).optional() }).strict(),
]);
export type ClientMessage = z.infer<typeof ClientMessage>;
