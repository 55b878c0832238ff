/**
 * Just enough ISO BMFF reading to play Opus in fragmented MP4: the init segment's timescale, channels and
 * PreSkip (dOps), and each fragment's decode time and samples (moof/traf/tfhd+tfdt+trun → bytes in mdat).
 * Handles several moof+mdat pairs in one buffer (a segment is its parts concatenated).
 */

export interface OpusTrackInfo {
  readonly timescale: number;
  readonly channels: number;
  /** Samples (48 kHz) to drop at the start of the stream: the encoder's delay. */
  readonly preSkip: number;
}

export interface DemuxedSample {
  /** In the track's timescale. */
  readonly duration: number;
  readonly data: Uint8Array;
}

export interface DemuxedFragment {
  readonly sequenceNumber: number;
  /** tfdt: decode time of the first sample, in the track's timescale. */
  readonly baseDecodeTime: number;
  readonly samples: DemuxedSample[];
}

export class Fmp4Error extends Error {
  override name = 'Fmp4Error';
}

interface Box {
  readonly type: string;
  /** Offset of the box's header in the buffer. */
  readonly start: number;
  /** Offset of its payload (after size and type). */
  readonly body: number;
  readonly end: number;
}

function boxes(view: DataView, from: number, to: number): Box[] {
  const out: Box[] = [];
  for (let at = from; at + 8 <= to;) {
    let size = view.getUint32(at);
    let body = at + 8;
    if (size === 1) {
      size = Number(view.getBigUint64(at + 8));
      body += 8;
    } else if (size === 0) size = to - at; // to the end
    if (size < body - at || at + size > to) throw new Fmp4Error(`box at ${at} overruns its parent`);
    const type = String.fromCharCode(
      view.getUint8(at + 4),
      view.getUint8(at + 5),
      view.getUint8(at + 6),
      view.getUint8(at + 7),
    );
    out.push({ type, start: at, body, end: at + size });
    at += size;
  }
  return out;
}

/** The types of a file's top-level boxes, in order (`styp`, `moof`, `mdat` … for a media segment). */
export function topLevelBoxTypes(bytes: Uint8Array): string[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return boxes(view, 0, bytes.byteLength).map((b) => b.type);
}

function child(view: DataView, parent: Box, type: string, skip = 0): Box {
  const found = boxes(view, parent.body + skip, parent.end).find((b) => b.type === type);
  if (!found) throw new Fmp4Error(`no ${type} in ${parent.type}`);
  return found;
}

function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Reads the first audio track of an init segment; refuses anything that is not Opus. */
export function parseOpusInit(bytes: Uint8Array): OpusTrackInfo {
  const view = viewOf(bytes);
  const moov = boxes(view, 0, bytes.length).find((b) => b.type === 'moov');
  if (!moov) throw new Fmp4Error('no moov in the init segment');
  const trak = child(view, moov, 'trak');
  const mdia = child(view, trak, 'mdia');
  const mdhd = child(view, mdia, 'mdhd');
  const timescale = view.getUint32(mdhd.body + (view.getUint8(mdhd.body) === 1 ? 20 : 12));
  const stbl = child(view, child(view, child(view, mdia, 'minf'), 'stbl'), 'stsd');
  const entry = boxes(view, stbl.body + 8, stbl.end)[0]; // fullbox header + entry_count
  if (entry?.type !== 'Opus') throw new Fmp4Error(`the track is ${entry?.type ?? 'empty'}, not Opus`);
  const channels = view.getUint16(entry.body + 16);
  // AudioSampleEntry: 6 reserved + 2 data_reference_index + 8 reserved + 2+2+2+2 + 4 rate = 28 bytes.
  const dOps = child(view, entry, 'dOps', 28);
  return { timescale, channels, preSkip: view.getUint16(dOps.body + 2) };
}

const TFHD_BASE_DATA_OFFSET = 0x01;
const TFHD_SAMPLE_DESCRIPTION = 0x02;
const TFHD_DEFAULT_DURATION = 0x08;
const TFHD_DEFAULT_SIZE = 0x10;
const TFHD_DEFAULT_FLAGS = 0x20;
const TRUN_DATA_OFFSET = 0x01;
const TRUN_FIRST_FLAGS = 0x04;
const TRUN_DURATION = 0x100;
const TRUN_SIZE = 0x200;
const TRUN_FLAGS = 0x400;
const TRUN_CTO = 0x800;

/** Every fragment (moof + its samples) in `bytes`, in order. */
export function demuxFragments(bytes: Uint8Array): DemuxedFragment[] {
  const view = viewOf(bytes);
  const out: DemuxedFragment[] = [];
  for (const moof of boxes(view, 0, bytes.length).filter((b) => b.type === 'moof')) {
    const mfhd = child(view, moof, 'mfhd');
    const traf = child(view, moof, 'traf');
    const tfhd = child(view, traf, 'tfhd');
    const tfhdFlags = view.getUint32(tfhd.body) & 0xffffff;
    let at = tfhd.body + 8; // version/flags, track_ID
    let base = moof.start; // default-base-is-moof, and the right default for a single-track fragment
    if (tfhdFlags & TFHD_BASE_DATA_OFFSET) {
      base = Number(view.getBigUint64(at));
      at += 8;
    }
    if (tfhdFlags & TFHD_SAMPLE_DESCRIPTION) at += 4;
    let defaultDuration = 0;
    let defaultSize = 0;
    if (tfhdFlags & TFHD_DEFAULT_DURATION) {
      defaultDuration = view.getUint32(at);
      at += 4;
    }
    if (tfhdFlags & TFHD_DEFAULT_SIZE) defaultSize = view.getUint32(at);
    void TFHD_DEFAULT_FLAGS; // read past, never needed: every Opus packet is a sync sample

    const tfdt = child(view, traf, 'tfdt');
    const baseDecodeTime =
      view.getUint8(tfdt.body) === 1
        ? Number(view.getBigUint64(tfdt.body + 4))
        : view.getUint32(tfdt.body + 4);

    const samples: DemuxedSample[] = [];
    for (const trun of boxes(view, traf.body, traf.end).filter((b) => b.type === 'trun')) {
      const flags = view.getUint32(trun.body) & 0xffffff;
      const count = view.getUint32(trun.body + 4);
      let p = trun.body + 8;
      let dataAt = base;
      if (flags & TRUN_DATA_OFFSET) {
        dataAt = base + view.getInt32(p);
        p += 4;
      }
      if (flags & TRUN_FIRST_FLAGS) p += 4;
      for (let i = 0; i < count; i++) {
        let duration = defaultDuration;
        let size = defaultSize;
        if (flags & TRUN_DURATION) {
          duration = view.getUint32(p);
          p += 4;
        }
        if (flags & TRUN_SIZE) {
          size = view.getUint32(p);
          p += 4;
        }
        if (flags & TRUN_FLAGS) p += 4;
        if (flags & TRUN_CTO) p += 4;
        if (p > trun.end) throw new Fmp4Error('trun is shorter than its sample count');
        if (dataAt + size > bytes.length) throw new Fmp4Error('a sample runs past the end of the data');
        samples.push({ duration, data: bytes.subarray(dataAt, dataAt + size) });
        dataAt += size;
      }
    }
    out.push({ sequenceNumber: view.getUint32(mfhd.body + 4), baseDecodeTime, samples });
  }
  return out;
}
