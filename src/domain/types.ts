/** The control plane's records, as the Store keeps them and the API shows them. */

export const SPACE_STATES = ['scheduled', 'live', 'ended', 'cancelled'] as const;
export type SpaceState = (typeof SPACE_STATES)[number];

/** Roles on stage. Listeners are not stored: they are counted in the Bus. */
export const STAGE_ROLES = ['host', 'cohost', 'speaker'] as const;
export type StageRole = (typeof STAGE_ROLES)[number];

export interface User {
  readonly id: string;
  readonly handle: string;
  readonly displayName: string;
  /** ISO 8601 */
  readonly createdAt: string;
}

export interface UserWithSecret extends User {
  readonly passwordHash: string;
}

export interface Session {
  readonly id: string;
  readonly userId: string;
  readonly expiresAt: string;
  readonly revokedAt: string | null;
}

export interface Space {
  readonly id: string;
  readonly hostId: string;
  readonly title: string;
  readonly topics: readonly string[];
  readonly record: boolean;
  /** Listening without an account (the default, as on X's web). */
  readonly anonymousListening: boolean;
  readonly state: SpaceState;
  /** When a scheduled space is meant to start; null for a space started at once. */
  readonly scheduledFor: string | null;
  readonly startedAt: string | null;
  readonly endedAt: string | null;
  readonly createdAt: string;
}

export interface StageMember {
  readonly spaceId: string;
  readonly userId: string;
  readonly role: StageRole;
  readonly muted: boolean;
  readonly joinedAt: string;
}

export interface SpeakRequest {
  readonly spaceId: string;
  readonly userId: string;
  readonly createdAt: string;
}

export interface Invitation {
  readonly spaceId: string;
  readonly userId: string;
  readonly invitedBy: string;
  readonly createdAt: string;
}
