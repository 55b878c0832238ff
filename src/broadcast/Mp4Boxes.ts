/**
 * Minimal ISO BMFF (MP4) box writing: big-endian fields and size-prefixed boxes. Just what the Opus
 * fMP4 init segment and fragments need; no parsing.
 */

export type Bytes = Uint8Array;

export function u8(n: number): Bytes {
  return Uint8Array.of(n & 0xff);
}

export function u16(n: number): Bytes {
  return Uint8Array.of((n >>> 8) & 0xff, n & 0xff);
}

export function i16(n: number): Bytes {
  return u16(n & 0xffff);
}

export function u32(n: number): Bytes {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0);
  return b;
}

/** 64-bit unsigned from a JS number (exact up to 2^53: 5.9 million years of 48 kHz samples). */
export function u64(n: number): Bytes {
  if (!Number.isSafeInteger(n) || n < 0)
    throw new TypeError(`u64 needs a safe non-negative integer, got ${n}`);
  const b = new Uint8Array(8);
  const view = new DataView(b.buffer);
  view.setUint32(0, Math.floor(n / 2 ** 32));
  view.setUint32(4, n >>> 0);
  return b;
}

/** A four-character code or other ASCII text. */
export function ascii(text: string): Bytes {
  const b = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) b[i] = text.charCodeAt(i) & 0x7f;
  return b;
}

export function zeros(n: number): Bytes {
  return new Uint8Array(n);
}

export function concat(parts: readonly Bytes[]): Bytes {
  let size = 0;
  for (const p of parts) size += p.length;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** `size(32) type(4cc) payload...` */
export function box(type: string, ...payload: Bytes[]): Bytes {
  if (type.length !== 4) throw new TypeError(`box type must be 4 characters: ${type}`);
  const body = concat(payload);
  return concat([u32(body.length + 8), ascii(type), body]);
}

/** A box with `version(8) flags(24)` before its payload. */
export function fullBox(type: string, version: number, flags: number, ...payload: Bytes[]): Bytes {
  return box(type, u8(version), u8(flags >>> 16), u16(flags & 0xffff), ...payload);
}

/** The unity matrix of mvhd/tkhd. */
export const UNITY_MATRIX: Bytes = concat(
  [0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000].map((v) => u32(v)),
);
