/**
 * Opus in fragmented MP4 for LL-HLS: one init segment, then one `moof`+`mdat` per part.
 *
 * Why hand-written and not mediabunny: mediabunny's fragmented muxer decides fragment boundaries itself
 * (a fragment closes only when the NEXT sample arrives past `minimumFragmentDuration`, so every part would
 * leave one frame late and its length is "at least", not exact), gives no way to set `tfdt` or the
 * fragment sequence number (needed to resume a timeline or cut a VOD), does not emit the `moov` until the
 * first fragment is finalised, writes an edit list when the first timestamp is not 0 (which stalls hls.js
 * in low-latency mode), and is async per sample. The boxes needed here are few and fixed, so writing them
 * gives exact part boundaries and exact timing for ~150 lines.
 *
 * Layout (ISO/IEC 14496-12, and "Encapsulation of Opus in ISOBMFF"):
 *   init = ftyp + moov(mvhd, trak(tkhd, mdia(mdhd, hdlr soun, minf(smhd, dinf/dref, stbl(stsd(Opus(dOps)),
 *          empty stts/stsc/stsz/stco))), mvex(trex)). No edts/elst: PreSkip in dOps trims the encoder delay.
 *   part = moof(mfhd, traf(tfhd default-base-is-moof, tfdt v1, trun)) + mdat.
 */
import {
  UNITY_MATRIX,
  ascii,
  box,
  concat,
  fullBox,
  i16,
  u16,
  u32,
  u64,
  u8,
  zeros,
  type Bytes,
} from './Mp4Boxes.js';

/** Everything is in 48 kHz units: Opus' clock, the mixer's sample clock and the MP4 timescale. */
export const TIMESCALE = 48_000;
const TRACK_ID = 1;

export interface OpusTrackConfig {
  /** Encoder delay in 48 kHz samples (312 for libopus). Written to dOps PreSkip. */
  readonly preSkip: number;
  /** Default 1. The sample entry's channel count and dOps' must match. */
  readonly channels?: 1 | 2;
  /** The original input rate, informational. Default 48 000. */
  readonly inputSampleRate?: number;
}

/** The init segment (`EXT-X-MAP`). */
export function opusInitSegment(config: OpusTrackConfig): Bytes {
  const channels = config.channels ?? 1;
  if (!Number.isInteger(config.preSkip) || config.preSkip < 0 || config.preSkip > 0xffff) {
    throw new TypeError(`preSkip must be a 16-bit integer, got ${config.preSkip}`);
  }
  const ftyp = box('ftyp', ascii('iso6'), u32(0), ascii('iso6'), ascii('mp41'), ascii('Opus'));
  // prettier-ignore
  const mvhd = fullBox(
    'mvhd', 0, 0,
    u32(0), u32(0), u32(TIMESCALE), u32(0), // creation, modification, timescale, duration (0: fragmented)
    u32(0x00010000), u16(0x0100), zeros(10), // rate 1.0, volume 1.0, reserved
    UNITY_MATRIX, zeros(24), u32(TRACK_ID + 1), // matrix, pre_defined, next_track_ID
  );
  // prettier-ignore
  const tkhd = fullBox(
    'tkhd', 0, 0x000003, // enabled | in movie
    u32(0), u32(0), u32(TRACK_ID), u32(0), u32(0), // creation, modification, track_ID, reserved, duration
    zeros(8), u16(0), u16(0), u16(0x0100), u16(0), // reserved, layer, alternate_group, volume, reserved
    UNITY_MATRIX, u32(0), u32(0), // matrix, width, height
  );
  const mdhd = fullBox('mdhd', 0, 0, u32(0), u32(0), u32(TIMESCALE), u32(0), u16(0x55c4), u16(0)); // 'und'
  const hdlr = fullBox('hdlr', 0, 0, u32(0), ascii('soun'), zeros(12), ascii('SoundHandler'), u8(0));
  // dOps is big-endian, unlike the Ogg OpusHead: version, channels, PreSkip, input rate, gain, family 0.
  // prettier-ignore
  const dOps = box(
    'dOps',
    u8(0), u8(channels), u16(config.preSkip), u32(config.inputSampleRate ?? TIMESCALE), i16(0), u8(0),
  );
  // prettier-ignore
  const opus = box(
    'Opus',
    zeros(6), u16(1), // reserved, data_reference_index
    zeros(8), u16(channels), u16(16), u16(0), u16(0), u32(TIMESCALE * 65536), // AudioSampleEntry (16.16 rate)
    dOps,
  );
  const stbl = box(
    'stbl',
    fullBox('stsd', 0, 0, u32(1), opus),
    fullBox('stts', 0, 0, u32(0)),
    fullBox('stsc', 0, 0, u32(0)),
    fullBox('stsz', 0, 0, u32(0), u32(0)),
    fullBox('stco', 0, 0, u32(0)),
  );
  const dinf = box('dinf', fullBox('dref', 0, 0, u32(1), fullBox('url ', 0, 0x000001)));
  const minf = box('minf', fullBox('smhd', 0, 0, i16(0), u16(0)), dinf, stbl);
  const trak = box('trak', tkhd, box('mdia', mdhd, hdlr, minf));
  const trex = fullBox('trex', 0, 0, u32(TRACK_ID), u32(1), u32(0), u32(0), u32(0));
  return concat([ftyp, box('moov', mvhd, trak, box('mvex', trex))]);
}

export interface OpusFragment {
  /** mfhd sequence number: starts at 1, +1 per fragment. */
  readonly sequenceNumber: number;
  /** tfdt: decode time of the first sample, in 48 kHz units since the start of the stream. */
  readonly baseDecodeTime: number;
  /** One Opus packet per sample. */
  readonly samples: readonly Bytes[];
  /** Per-sample durations in 48 kHz units (same length as samples). */
  readonly durations: readonly number[];
}

const TRUN_DATA_OFFSET = 0x000001;
const TRUN_SAMPLE_DURATION = 0x000100;
const TRUN_SAMPLE_SIZE = 0x000200;
const TFHD_DEFAULT_BASE_IS_MOOF = 0x020000;

/** One `moof`+`mdat`: a self-contained (independent) part. */
export function opusFragment(fragment: OpusFragment): Bytes {
  const { samples, durations } = fragment;
  if (samples.length === 0 || samples.length !== durations.length) {
    throw new TypeError('a fragment needs at least one sample and one duration per sample');
  }
  const entries: Bytes[] = [];
  for (let i = 0; i < samples.length; i++) {
    entries.push(u32(durations[i] as number), u32((samples[i] as Bytes).length));
  }
  // data_offset is relative to the moof start: moof size + the 8-byte mdat header. Its value does not
  // change the moof size, so build once with 0 to measure, then for real.
  const moof = (dataOffset: number): Bytes =>
    box(
      'moof',
      fullBox('mfhd', 0, 0, u32(fragment.sequenceNumber)),
      box(
        'traf',
        fullBox('tfhd', 0, TFHD_DEFAULT_BASE_IS_MOOF, u32(TRACK_ID)),
        fullBox('tfdt', 1, 0, u64(fragment.baseDecodeTime)),
        fullBox(
          'trun',
          0,
          TRUN_DATA_OFFSET | TRUN_SAMPLE_DURATION | TRUN_SAMPLE_SIZE,
          u32(samples.length),
          u32(dataOffset),
          ...entries,
        ),
      ),
    );
  const size = moof(0).length;
  return concat([moof(size + 8), box('mdat', ...samples)]);
}
