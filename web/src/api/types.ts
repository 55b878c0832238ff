/**
 * The API's shapes as the browser sees them: all from the wire contract (`src/contract/`). These are
 * type-only imports (erased at build), so no server code reaches the bundle.
 */
import type { ServerEvent, SpaceView, StageMemberView } from '../../../src/contract/index.js';

export type {
  Admission,
  ErrorBody,
  ListenerFaces,
  ListenerPage,
  NewSpace,
  PinList,
  PinView,
  ReactionEmoji,
  RecentReplay,
  RecentReplayList,
  SpaceAnalytics,
  Replay,
  ServerEvent,
  Session,
  SpaceList,
  SpaceView,
  SpeakRequest,
  StageCause,
  StageMemberView,
  TicketRenewal,
  User,
  UserView,
} from '../../../src/contract/index.js';
export type SpaceState = SpaceView['state'];
export type StageRole = StageMemberView['role'];
/** One server event by its type. */
export type EventOf<T extends ServerEvent['type']> = Extract<ServerEvent, { type: T }>;

/** The fixed reaction set: the contract's own list (a module with no imports). */
export { REACTION_EMOJI as REACTIONS } from '../../../src/contract/reactions.js';

/** Moderation verbs on one user: POST /api/v1/spaces/:id/users/:userId/<verb>. */
export type UserAction = 'invite' | 'cohost' | 'uncohost' | 'mute' | 'unmute' | 'take-mic' | 'remove';
