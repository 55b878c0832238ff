/**
 * A finished recording's AAC rendition as one plain `.m4a` (brand `M4A `): the AAC frames of every
 * recorded fMP4 segment, moved into one `mdat` and indexed by an ordinary `moov` sample table
 * (stts/stsc/stsz/stco). Not fragmented, because music apps and older players read only that form.
 *
 *   m4a = ftyp(M4A , M4A  mp42 isom) + moov(mvhd, trak(… stbl(stsd(mp4a(esds)), stts, stsc, stsz, stco))) + mdat
 *
 * The fragments are Rostra's own (broadcast/Fmp4.ts): moof(mfhd, traf(tfhd, tfdt, trun with per-sample
 * duration and size, data offset from the moof)) + mdat; only that layout is read.
 */
import { aacSampleEntry, audioTrack, movieHeader } from '../broadcast/index.js';
import { box, concat, fullBox, u32, type Bytes } from '../broadcast/Mp4Boxes.js';

export interface AacSamples {
  readonly sizes: number[];
  readonly durations: number[];
  readonly data: Uint8Array[];
}

const TRUN_DATA_OFFSET = 0x000001;
const TRUN_SAMPLE_DURATION = 0x000100;
const TRUN_SAMPLE_SIZE = 0x000200;

function typeAt(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(bytes[at + 4] ?? 0, bytes[at + 5] ?? 0, bytes[at + 6] ?? 0, bytes[at + 7] ?? 0);
}

/** Child boxes of `[from, to)` as [offset, size, type]. */
function childBoxes(view: DataView, bytes: Uint8Array, from: number, to: number): [number, number, string][] {
  const out: [number, number, string][] = [];
  for (let at = from; at + 8 <= to;) {
    const size = view.getUint32(at);
    if (size < 8 || at + size > to) throw new TypeError(`malformed box at ${at}`);
    out.push([at, size, typeAt(bytes, at)]);
    at += size;
  }
  return out;
}

/** Appends the samples of one fMP4 segment (moof+mdat pairs) to `into`. */
export function readFragments(segment: Uint8Array, into: AacSamples): void {
  const view = new DataView(segment.buffer, segment.byteOffset, segment.byteLength);
  for (const [moof, moofSize, type] of childBoxes(view, segment, 0, segment.length)) {
    if (type !== 'moof') continue;
    for (const [traf, trafSize, t] of childBoxes(view, segment, moof + 8, moof + moofSize)) {
      if (t !== 'traf') continue;
      for (const [trun, , name] of childBoxes(view, segment, traf + 8, traf + trafSize)) {
        if (name !== 'trun') continue;
        const flags = view.getUint32(trun + 8) & 0xffffff;
        const want = TRUN_DATA_OFFSET | TRUN_SAMPLE_DURATION | TRUN_SAMPLE_SIZE;
        if ((flags & want) !== want || flags !== want) throw new TypeError(`unexpected trun flags ${flags}`);
        const count = view.getUint32(trun + 12);
        let offset = moof + view.getInt32(trun + 16);
        for (let i = 0; i < count; i++) {
          const duration = view.getUint32(trun + 20 + i * 8);
          const size = view.getUint32(trun + 24 + i * 8);
          if (offset + size > segment.length) throw new TypeError('a sample runs past its segment');
          into.durations.push(duration);
          into.sizes.push(size);
          into.data.push(segment.subarray(offset, offset + size));
          offset += size;
        }
      }
    }
  }
}

/**
 * The whole `.m4a` for the samples of a recording's AAC rendition. `track` replaces the AAC sample entry
 * and brands (a clip of an Opus recording carries the `Opus` entry of its init segment).
 */
export function m4aFile(
  samples: AacSamples,
  bitrate: number,
  track?: { sampleEntry: Bytes; brands: readonly string[] },
): Bytes {
  const count = samples.sizes.length;
  if (count === 0) throw new TypeError('an .m4a needs at least one sample');
  const duration = samples.durations.reduce((a, b) => a + b, 0);
  // stts: run-length (every frame is 1024 samples but a session's last may differ).
  const runs: [number, number][] = [];
  for (const d of samples.durations) {
    const last = runs[runs.length - 1];
    if (last && last[1] === d) last[0]++;
    else runs.push([1, d]);
  }
  const stts = fullBox('stts', 0, 0, u32(runs.length), ...runs.flatMap(([n, d]) => [u32(n), u32(d)]));
  const stsc = fullBox('stsc', 0, 0, u32(1), u32(1), u32(count), u32(1)); // one chunk holds every sample
  const stsz = fullBox('stsz', 0, 0, u32(0), u32(count), ...samples.sizes.map((s) => u32(s)));
  const brands = track?.brands ?? ['M4A ', 'M4A ', 'mp42', 'isom'];
  const ftyp = box('ftyp', ascii4(brands[0] ?? 'isom'), u32(0), ...brands.slice(1).map(ascii4));
  const moov = (chunkOffset: number) =>
    box(
      'moov',
      movieHeader(duration),
      audioTrack(
        track?.sampleEntry ?? aacSampleEntry({ bitrate }),
        [stts, stsc, stsz, fullBox('stco', 0, 0, u32(1), u32(chunkOffset))],
        duration,
      ),
    );
  // The chunk offset's value does not change the moov's size: measure once, then write for real.
  const dataStart = ftyp.length + moov(0).length + 8;
  return concat([ftyp, moov(dataStart), box('mdat', ...samples.data)]);
}

function ascii4(s: string): Bytes {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}
