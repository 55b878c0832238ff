import { randomBytes } from 'node:crypto';

const ID_BYTES = 9;
/** Entropy drawn 4 KiB at a time: one `randomBytes` call per id cost ~6 % of a core on the join path. */
const POOL_BYTES = 4096 - (4096 % ID_BYTES);
let pool = Buffer.alloc(0);
let offset = 0;

/** A random 72-bit id, URL-safe (12 chars), from the CSPRNG. */
export function newId(): string {
  if (offset + ID_BYTES > pool.length) {
    pool = randomBytes(POOL_BYTES);
    offset = 0;
  }
  const id = pool.toString('base64url', offset, offset + ID_BYTES);
  offset += ID_BYTES;
  return id;
}

/** The pattern every id matches is part of the wire contract. */
export { ID_PATTERN } from '../contract/rest.js';
