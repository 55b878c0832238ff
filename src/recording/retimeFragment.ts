/**
 * Shifts an fMP4 fragment's decode time (`tfdt`) and sequence number (`mfhd`). A resumed recording gets a
 * fresh packager whose timeline restarts at 0; shifting its parts to continue the recorded timeline keeps
 * the replay's timestamps monotonic, which players and ffmpeg expect even across EXT-X-DISCONTINUITY
 * (ffmpeg otherwise logs non-monotonic DTS).
 */

function type(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(bytes[at + 4] ?? 0, bytes[at + 5] ?? 0, bytes[at + 6] ?? 0, bytes[at + 7] ?? 0);
}

/** Offsets of the child boxes of `[from, to)` with the given type. */
function children(view: DataView, bytes: Uint8Array, from: number, to: number, name: string): number[] {
  const out: number[] = [];
  for (let at = from; at + 8 <= to;) {
    const size = view.getUint32(at);
    if (size < 8 || at + size > to) throw new TypeError(`malformed box at ${at}`);
    if (type(bytes, at) === name) out.push(at);
    at += size;
  }
  return out;
}

export function retimeFragment(
  fragment: Uint8Array,
  shift: { decodeTime: number; sequence: number },
): Uint8Array {
  const bytes = fragment.slice(); // the packager's bytes are shared with the live window: never mutate them
  if (shift.decodeTime === 0 && shift.sequence === 0) return bytes;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (const moof of children(view, bytes, 0, bytes.length, 'moof')) {
    const end = moof + view.getUint32(moof);
    for (const mfhd of children(view, bytes, moof + 8, end, 'mfhd')) {
      view.setUint32(mfhd + 12, view.getUint32(mfhd + 12) + shift.sequence);
    }
    for (const traf of children(view, bytes, moof + 8, end, 'traf')) {
      for (const tfdt of children(view, bytes, traf + 8, traf + view.getUint32(traf), 'tfdt')) {
        if (bytes[tfdt + 8] !== 1) throw new TypeError('expected a version 1 tfdt');
        const t = view.getBigUint64(tfdt + 12) + BigInt(shift.decodeTime);
        view.setBigUint64(tfdt + 12, t);
      }
    }
  }
  return bytes;
}
