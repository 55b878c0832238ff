/**
 * Durable control-plane state behind one narrow interface. Implementations: PGlite (embedded, default) and
 * PostgreSQL (when DATABASE_URL is set); one shared test suite runs against both.
 *
 * Nothing per listener is ever written here: listeners live in the Bus (presence).
 * Methods validate nothing a caller could get wrong at the protocol level (that is the service's job); they
 * keep invariants that need atomicity (unique handles, stage limits) and report them as results.
 */
import type {
  Invitation,
  Session,
  Space,
  SpaceState,
  SpeakRequest,
  StageMember,
  StageRole,
  User,
  UserWithSecret,
} from '../domain/types.js';

export interface UserRepo {
  /** Creates a user; `handle_taken` if the handle (compared case-insensitively) exists. */
  create(user: {
    id: string;
    handle: string;
    displayName: string;
    passwordHash: string;
  }): Promise<{ ok: true; user: User } | { ok: false; reason: 'handle_taken' }>;
  byId(id: string): Promise<User | undefined>;
  /** Case-insensitive. */
  byHandle(handle: string): Promise<UserWithSecret | undefined>;
  byIds(ids: readonly string[]): Promise<User[]>;
}

export interface SessionRepo {
  create(session: { id: string; userId: string; expiresAt: string }): Promise<void>;
  get(id: string): Promise<Session | undefined>;
  /** Idempotent. */
  revoke(id: string, at: string): Promise<void>;
  /** Deletes sessions that expired before `now`; returns how many. */
  purgeExpired(now: string): Promise<number>;
}

export interface BlockRepo {
  /** Idempotent. */
  add(blockerId: string, blockedId: string): Promise<void>;
  /** Idempotent. */
  remove(blockerId: string, blockedId: string): Promise<void>;
  has(blockerId: string, blockedId: string): Promise<boolean>;
  listBlocked(blockerId: string): Promise<string[]>;
}

export interface SpaceListQuery {
  state: SpaceState;
  limit: number;
  /** Opaque cursor from a previous page. */
  cursor?: string;
}

export interface SpaceRepo {
  /** Creates the space and puts its host on stage, atomically. */
  create(space: Space): Promise<Space>;
  get(id: string): Promise<Space | undefined>;
  /**
   * Compare-and-set of the state: moves to `to` only if the current state is one of `from`, setting the
   * given timestamps. Returns the updated space, or undefined if the state did not match.
   */
  transition(
    id: string,
    from: readonly SpaceState[],
    to: SpaceState,
    at: { startedAt?: string; endedAt?: string },
  ): Promise<Space | undefined>;
  /** Live spaces newest first by startedAt; scheduled spaces soonest first by scheduledFor. */
  list(query: SpaceListQuery): Promise<{ spaces: Space[]; nextCursor: string | null }>;
  addInterest(spaceId: string, userId: string): Promise<void>;
  removeInterest(spaceId: string, userId: string): Promise<void>;
  isInterested(spaceId: string, userId: string): Promise<boolean>;
  interestedUserIds(spaceId: string): Promise<string[]>;
  /**
   * Counts one more start of the space's media, atomically across nodes, and returns the count: 1 for the
   * first start, 0 for an unknown space.
   */
  nextMediaSession(spaceId: string): Promise<number>;
}

export interface StageLimits {
  maxCohosts: number;
  maxSpeakers: number;
}

export type StagePutResult =
  { ok: true; member: StageMember } | { ok: false; reason: 'cohost_limit' | 'speaker_limit' };

export interface StageRepo {
  members(spaceId: string): Promise<StageMember[]>;
  member(spaceId: string, userId: string): Promise<StageMember | undefined>;
  /**
   * Puts a user on stage with a role, or changes their role, atomically against the limits (other processes
   * may race). Changing a role keeps the muted flag; a new speaker starts muted (as on X).
   */
  put(
    spaceId: string,
    userId: string,
    role: Exclude<StageRole, 'host'>,
    limits: StageLimits,
  ): Promise<StagePutResult>;
  /** Returns whether someone was removed. */
  remove(spaceId: string, userId: string): Promise<boolean>;
  /** Returns whether the member exists. */
  setMuted(spaceId: string, userId: string, muted: boolean): Promise<boolean>;
  /** Mutes everyone on stage except `exceptUserId`; returns the user ids that changed. */
  muteAll(spaceId: string, exceptUserId: string): Promise<string[]>;
  /** Clears the stage (when a space ends). */
  clear(spaceId: string): Promise<void>;
}

export interface RequestRepo {
  /** Idempotent; returns the stored request. */
  addRequest(spaceId: string, userId: string, at: string): Promise<SpeakRequest>;
  /** Returns whether a request existed. */
  removeRequest(spaceId: string, userId: string): Promise<boolean>;
  hasRequest(spaceId: string, userId: string): Promise<boolean>;
  /** Oldest first. */
  listRequests(spaceId: string, limit: number): Promise<SpeakRequest[]>;
  countRequests(spaceId: string): Promise<number>;
  /** Idempotent (a new invitation replaces an old one). */
  addInvitation(invitation: Invitation): Promise<void>;
  getInvitation(spaceId: string, userId: string): Promise<Invitation | undefined>;
  removeInvitation(spaceId: string, userId: string): Promise<boolean>;
  /** Drops all requests and invitations of a space (when it ends). */
  clearSpace(spaceId: string): Promise<void>;
}

export interface RemovalRepo {
  /** Idempotent. */
  add(spaceId: string, userId: string, by: string, at: string): Promise<void>;
  has(spaceId: string, userId: string): Promise<boolean>;
  /** Everyone removed from a space (a short list: nodes cache it to check heartbeats without a lookup each). */
  list(spaceId: string): Promise<string[]>;
}

/** A space's recording, as the API and retention see it (the audio itself is on the origin's disk). */
export interface Recording {
  readonly spaceId: string;
  readonly durationSeconds: number;
  readonly plays: number;
  readonly createdAt: string;
  /** Where the replay starts (the host cut what came before); durationSeconds is what is left after it. */
  readonly trimStartSeconds: number;
  /** When the replay became available; null while recording (or interrupted). */
  readonly finishedAt: string | null;
  /** When its files were deleted (by the host or retention); null while it exists. */
  readonly deletedAt: string | null;
}

export interface RecordingRepo {
  /** Idempotent: a space resuming after a restart keeps its row (and its createdAt). */
  create(spaceId: string, at: string): Promise<Recording>;
  get(spaceId: string): Promise<Recording | undefined>;
  /** Sets the duration and finish time; returns false if there is no row or it was deleted. */
  markFinished(spaceId: string, durationSeconds: number, at: string): Promise<boolean>;
  /** Atomic (+1 in SQL, safe across nodes); returns the new count, or undefined if not playable. */
  incrementPlays(spaceId: string): Promise<number | undefined>;
  /** Idempotent: the first deletion's time is kept. Returns whether the row exists. */
  markDeleted(spaceId: string, at: string): Promise<boolean>;
  /** Finished, not deleted, finished before `before`: what retention deletes. Oldest first. */
  listExpired(before: string, limit: number): Promise<Recording[]>;
  /** Sets where the replay starts (seconds into the files); false if it is not finished or was deleted. */
  setTrim(spaceId: string, startSeconds: number): Promise<boolean>;
}

/** A user's photo, already re-encoded (control/Avatars.ts): what the server sends as it is. */
export interface Avatar {
  readonly userId: string;
  readonly image: Uint8Array;
  readonly contentType: string;
  /** Changes with every upload: the ETag, and the `?v=` of the avatar's URL in user views. */
  readonly version: string;
  readonly updatedAt: string;
}

export interface AvatarRepo {
  /** Replaces the user's avatar and sets their avatar version, in one transaction. */
  put(avatar: Avatar): Promise<void>;
  get(userId: string): Promise<Avatar | undefined>;
  /** Returns whether there was one. */
  remove(userId: string): Promise<boolean>;
}

/** A link the host or a co-host pinned to the top of a space. The server never fetches it. */
export interface Pin {
  readonly id: string;
  readonly spaceId: string;
  readonly title: string;
  /** http or https only (checked by the service). */
  readonly url: string;
  readonly pinnedBy: string;
  readonly createdAt: string;
}

export interface PinRepo {
  /** Adds a pin unless the space holds `max` already; atomic across processes (the space row is locked). */
  add(pin: Pin, max: number): Promise<{ ok: true; pin: Pin } | { ok: false; reason: 'pin_limit' }>;
  /** Oldest first. */
  list(spaceId: string): Promise<Pin[]>;
  /** Returns whether a pin was removed. */
  remove(spaceId: string, pinId: string): Promise<boolean>;
}

/** A replay in the list of recent recordings: its space and its recording row. */
export interface RecentReplay {
  readonly space: Space;
  readonly recording: Recording;
}

export interface ReplayListRepo {
  /** Finished, not deleted recordings, newest first (keyset paging on the finish time). */
  recent(limit: number, cursor?: string): Promise<{ replays: RecentReplay[]; nextCursor: string | null }>;
}

/** One sample of a space, as one node saw it (the counts are the cluster's, read from the Bus). */
export interface SpaceSample {
  /** The start of the sampling bucket (the same on every node, so their samples merge). */
  readonly at: string;
  readonly listeners: number;
  readonly uniqueListeners: number;
  /** Who is on stage now (host, co-hosts, speakers). */
  readonly stageUserIds: readonly string[];
}

export interface SpaceStats {
  readonly peakListeners: number;
  readonly uniqueListeners: number;
  /** Distinct people seen on stage. */
  readonly speakers: number;
  /** Oldest first. */
  readonly curve: { at: string; listeners: number }[];
}

export interface AnalyticsRepo {
  /** Merges a sample in (GREATEST per bucket, peak and uniques; speakers as a set), in one transaction. */
  record(spaceId: string, sample: SpaceSample): Promise<void>;
  /** Zeros for a space never sampled. The curve holds at most `maxPoints` samples (the newest). */
  get(spaceId: string, maxPoints: number): Promise<SpaceStats>;
}

/** A clip: a short standalone file cut from a space's recording (recording/Clips.ts). */
export interface Clip {
  readonly id: string;
  readonly spaceId: string;
  /** The recording it was cut from (a recording's key is its space's id). */
  readonly recordingId: string;
  /** Seconds from the start of the recording. */
  readonly startSeconds: number;
  readonly endSeconds: number;
  /** The audio in the file: AAC-LC when the recording has its AAC rendition, else Opus. */
  readonly codec: 'aac' | 'opus';
  /** Who made it; null for an anonymous listener (or a deleted account). */
  readonly creatorId: string | null;
  readonly createdAt: string;
  readonly expiresAt: string;
  /** When it was deleted (by its maker, the host, a co-host or retention); null while it exists. */
  readonly deletedAt: string | null;
}

export interface ClipRepo {
  create(clip: Omit<Clip, 'deletedAt'>): Promise<Clip>;
  get(id: string): Promise<Clip | undefined>;
  byIds(ids: readonly string[]): Promise<Clip[]>;
  /** Not deleted and not expired at `now`, newest first. */
  listForSpace(spaceId: string, now: string, limit: number): Promise<Clip[]>;
  /** Idempotent: the first deletion's time is kept. Returns whether the row exists. */
  markDeleted(id: string, at: string): Promise<boolean>;
  /** Not deleted, expired before `now`: what retention deletes. Oldest first. */
  listExpired(now: string, limit: number): Promise<Clip[]>;
}

export interface Store {
  readonly kind: 'pglite' | 'postgres';
  readonly users: UserRepo;
  readonly sessions: SessionRepo;
  readonly blocks: BlockRepo;
  readonly spaces: SpaceRepo;
  readonly stage: StageRepo;
  readonly requests: RequestRepo;
  readonly removals: RemovalRepo;
  readonly recordings: RecordingRepo;
  readonly pins: PinRepo;
  readonly replays: ReplayListRepo;
  readonly analytics: AnalyticsRepo;
  readonly clips: ClipRepo;
  readonly avatars: AvatarRepo;
  /** Applies pending migrations; safe to run on every start and from several processes at once. */
  migrate(): Promise<void>;
  /** Idempotent. */
  close(): Promise<void>;
}
