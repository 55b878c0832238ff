import { randomBytes } from 'node:crypto';

/** A random 72-bit id, URL-safe (12 chars). */
export function newId(): string {
  return randomBytes(9).toString('base64url');
}

/** Ids that `newId` makes, and nothing a hostile client could smuggle into a key or path. */
export const ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
