/** The control plane's records, as the Store keeps them and the API shows them. */

// backstage: the hosts are on stage and hear each other; nothing is broadcast or recorded until live.
export const SPACE_STATES = ['scheduled', 'live', 'ended', 'cancelled', 'backstage'] as const;
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
  /** Their uploaded photo (a path on any node, versioned so caches keep it); absent: coloured initials. */
  readonly avatarUrl?: string;
}

/** Where a user's avatar is served; `v` changes with each upload, so the URL may be cached for long. */
export const avatarPath = (userId: string, version: string): string =>
  `/api/v1/users/${userId}/avatar?v=${version}`;

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
