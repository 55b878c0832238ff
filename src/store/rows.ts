/** Row → record conversion shared by the SQL repositories. */
import { RostraError } from '../errors/index.js';
import {
  avatarPath,
  type Space,
  type SpaceState,
  type StageMember,
  type StageRole,
  type User,
} from '../domain/types.js';

export const iso = (v: unknown): string =>
  v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString();
export const isoOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : iso(v));

export interface UserRow {
  id: string;
  handle: string;
  display_name: string;
  password_hash: string;
  created_at: Date;
  avatar_version?: string | null;
}

export function toUser(r: UserRow): User {
  return {
    id: r.id,
    handle: r.handle,
    displayName: r.display_name,
    createdAt: iso(r.created_at),
    ...(r.avatar_version ? { avatarUrl: avatarPath(r.id, r.avatar_version) } : {}),
  };
}

export interface SpaceRow {
  id: string;
  host_id: string;
  title: string;
  topics: string[];
  record: boolean;
  anonymous_listening: boolean;
  state: SpaceState;
  scheduled_for: Date | null;
  started_at: Date | null;
  ended_at: Date | null;
  created_at: Date;
}

export function toSpace(r: SpaceRow): Space {
  return {
    id: r.id,
    hostId: r.host_id,
    title: r.title,
    topics: r.topics,
    record: r.record,
    anonymousListening: r.anonymous_listening,
    state: r.state,
    scheduledFor: isoOrNull(r.scheduled_for),
    startedAt: isoOrNull(r.started_at),
    endedAt: isoOrNull(r.ended_at),
    createdAt: iso(r.created_at),
  };
}

export interface MemberRow {
  space_id: string;
  user_id: string;
  role: StageRole;
  muted: boolean;
  joined_at: Date;
}

export function toMember(r: MemberRow): StageMember {
  return { spaceId: r.space_id, userId: r.user_id, role: r.role, muted: r.muted, joinedAt: iso(r.joined_at) };
}

/** Opaque keyset cursor. */
export function encodeCursor(parts: readonly string[]): string {
  return Buffer.from(JSON.stringify(parts)).toString('base64url');
}

/** The parts of a cursor we made: `[iso time, id]`; anything else is a coded validation error. */
export function decodeCursor(cursor: string | undefined): [string, string] | undefined {
  if (cursor === undefined) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    v = undefined; // not JSON: refused below like any other foreign cursor
  }
  if (
    Array.isArray(v) &&
    v.length === 2 &&
    typeof v[0] === 'string' &&
    typeof v[1] === 'string' &&
    Number.isFinite(Date.parse(v[0]))
  ) {
    return [v[0], v[1]];
  }
  throw new RostraError('validation_failed', 'The cursor is not one this server gave out.');
}
