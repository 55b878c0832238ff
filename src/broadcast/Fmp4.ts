/**
 * Opus and AAC-LC in fragmented MP4 for LL-HLS: one init segment, then one `moof`+`mdat` per part.
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
 *   init = ftyp + moov(mvhd, trak(tkhd, mdia(mdhd, hdlr soun, minf(smhd, dinf/dref, stbl(stsd(Opus(dOps)
 *          or mp4a(esds)), empty stts/stsc/stsz/stco))), mvex(trex)).
 *   No edts/elst: PreSkip in dOps trims Opus' encoder delay, and the AAC rendition drops the encoder's
 *   priming packet instead (src/audio/AacEncoder.ts), so both timelines start on the mix's first sample.
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

/** The init segment (`EXT-X-MAP`) of the Opus rendition. */
export function opusInitSegment(config: OpusTrackConfig): Bytes {
  const channels = config.channels ?? 1;
  if (!Number.isInteger(config.preSkip) || config.preSkip < 0 || config.preSkip > 0xffff) {
    throw new TypeError(`preSkip must be a 16-bit integer, got ${config.preSkip}`);
  }
  // dOps is big-endian, unlike the Ogg OpusHead: version, channels, PreSkip, input rate, gain, family 0.
  // prettier-ignore
  const dOps = box(
    'dOps',
    u8(0), u8(channels), u16(config.preSkip), u32(config.inputSampleRate ?? TIMESCALE), i16(0), u8(0),
  );
  return initSegment(audioSampleEntry('Opus', channels, dOps), ['iso6', 'mp41', 'Opus']);
}

export interface AacTrackConfig {
  /** Average bits per second, written to the esds descriptor (informational for players). */
  readonly bitrate: number;
  /** Default 1. */
  readonly channels?: 1 | 2;
  /** `ftyp` brands of the init segment (the major one first). Default iso6, mp41. */
  readonly brands?: readonly string[];
}

/** AAC-LC (audio object type 2) at 48 kHz: the 2-byte AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1). */
export function aacAudioSpecificConfig(channels: 1 | 2): Bytes {
  const objectType = 2;
  const rateIndex = 3; // 48 000 Hz
  return u16((objectType << 11) | (rateIndex << 7) | (channels << 3));
}

/** An MPEG-4 descriptor: tag, one length byte (all of ours are under 128 bytes), body. */
function descriptor(tag: number, ...body: Bytes[]): Bytes {
  const payload = concat(body);
  if (payload.length > 127) throw new TypeError('descriptor too long for a one-byte length');
  return concat([u8(tag), u8(payload.length), payload]);
}

/** The init segment of the AAC-LC rendition: an `mp4a` sample entry with its `esds` (ISO/IEC 14496-14). */
export function aacInitSegment(config: AacTrackConfig): Bytes {
  return initSegment(aacSampleEntry(config), config.brands ?? ['iso6', 'mp41']);
}

/** The `mp4a` sample entry (with `esds`) of AAC-LC at 48 kHz. */
export function aacSampleEntry(config: AacTrackConfig): Bytes {
  const channels = config.channels ?? 1;
  if (!Number.isInteger(config.bitrate) || config.bitrate <= 0) {
    throw new TypeError(`bitrate must be a positive integer, got ${config.bitrate}`);
  }
  // prettier-ignore
  const decoderConfig = descriptor(
    0x04, // DecoderConfigDescriptor
    u8(0x40), // objectTypeIndication: MPEG-4 Audio
    u8((0x05 << 2) | 0x01), // streamType audio, upStream 0, reserved 1
    concat([u8(0), u16(0)]), // bufferSizeDB (24 bits)
    u32(config.bitrate), u32(config.bitrate), // maxBitrate, avgBitrate
    descriptor(0x05, aacAudioSpecificConfig(channels)), // DecoderSpecificInfo
  );
  const es = descriptor(0x03, u16(0), u8(0), decoderConfig, descriptor(0x06, u8(0x02))); // ES_ID, flags, SL
  const esds = fullBox('esds', 0, 0, es);
  return audioSampleEntry('mp4a', channels, esds);
}

/** AudioSampleEntry (ISO/IEC 14496-12 12.2.3) around a codec's configuration box. */
function audioSampleEntry(format: string, channels: number, codecBox: Bytes): Bytes {
  // prettier-ignore
  return box(
    format,
    zeros(6), u16(1), // reserved, data_reference_index
    zeros(8), u16(channels), u16(16), u16(0), u16(0), u32(TIMESCALE * 65536), // 16.16 sample rate
    codecBox,
  );
}

/** ftyp + moov for one audio track at 48 kHz, fragmented (mvex, empty sample tables). */
function initSegment(sampleEntry: Bytes, brands: readonly string[]): Bytes {
  const [major = 'iso6'] = brands;
  const ftyp = box('ftyp', ascii(major), u32(0), ...brands.map(ascii));
  return concat([ftyp, box('moov', movieHeader(0), audioTrack(sampleEntry, emptySampleTables(), 0), mvex())]);
}

/** mvhd; `duration` in TIMESCALE units (0 for a fragmented file). */
export function movieHeader(duration: number): Bytes {
  // prettier-ignore
  return fullBox(
    'mvhd', 0, 0,
    u32(0), u32(0), u32(TIMESCALE), u32(duration), // creation, modification, timescale, duration
    u32(0x00010000), u16(0x0100), zeros(10), // rate 1.0, volume 1.0, reserved
    UNITY_MATRIX, zeros(24), u32(TRACK_ID + 1), // matrix, pre_defined, next_track_ID
  );
}

function emptySampleTables(): Bytes[] {
  return [
    fullBox('stts', 0, 0, u32(0)),
    fullBox('stsc', 0, 0, u32(0)),
    fullBox('stsz', 0, 0, u32(0), u32(0)),
    fullBox('stco', 0, 0, u32(0)),
  ];
}

/** trak of the single audio track: `tables` are stts/stsc/stsz/stco (empty when fragmented). */
export function audioTrack(sampleEntry: Bytes, tables: readonly Bytes[], duration: number): Bytes {
  // prettier-ignore
  const tkhd = fullBox(
    'tkhd', 0, 0x000003, // enabled | in movie
    u32(0), u32(0), u32(TRACK_ID), u32(0), u32(duration), // creation, modification, track_ID, reserved, duration
    zeros(8), u16(0), u16(0), u16(0x0100), u16(0), // reserved, layer, alternate_group, volume, reserved
    UNITY_MATRIX, u32(0), u32(0), // matrix, width, height
  );
  const mdhd = fullBox('mdhd', 0, 0, u32(0), u32(0), u32(TIMESCALE), u32(duration), u16(0x55c4), u16(0)); // 'und'
  const hdlr = fullBox('hdlr', 0, 0, u32(0), ascii('soun'), zeros(12), ascii('SoundHandler'), u8(0));
  const stbl = box('stbl', fullBox('stsd', 0, 0, u32(1), sampleEntry), ...tables);
  const dinf = box('dinf', fullBox('dref', 0, 0, u32(1), fullBox('url ', 0, 0x000001)));
  const minf = box('minf', fullBox('smhd', 0, 0, i16(0), u16(0)), dinf, stbl);
  return box('trak', tkhd, box('mdia', mdhd, hdlr, minf));
}

function mvex(): Bytes {
  return box('mvex', fullBox('trex', 0, 0, u32(TRACK_ID), u32(1), u32(0), u32(0), u32(0)));
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

/** One `moof`+`mdat`: a self-contained (independent) part, of either codec. */
export function audioFragment(fragment: OpusFragment): Bytes {
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

/** The Opus name of `audioFragment`: the box layout does not depend on the codec. */
export const opusFragment = audioFragment;
