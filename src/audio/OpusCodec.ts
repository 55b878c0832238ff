/**
 * Thin wrappers over `@evan/opus` for the one format the engine uses: mono, 48 kHz, 20 ms frames.
 * They hide two facts of that binding: decode() returns s16le BYTES (not samples), and it refuses an empty
 * or null packet, so packet-loss concealment is done by decoding a 1-byte packet (a TOC with a zero-length
 * frame), which libopus treats as a lost frame and conceals from its state (as DTX does).
 */
import { Decoder, Encoder } from '@evan/opus';

/** Everything in the engine runs at 48 kHz (Opus' native rate, and the fMP4/RTP timescale). */
export const SAMPLE_RATE = 48_000;
/** One mixer tick. */
export const FRAME_MS = 20;
/** Samples per channel in one 20 ms frame at 48 kHz. */
export const FRAME_SAMPLES = 960;

/** The longest legal Opus packet: 120 ms. */
const MAX_PACKET_SAMPLES = 5760;

/** libopus `OPUS_GET_LOOKAHEAD_REQUEST`: the encoder delay, which is the Ogg/MP4 PreSkip. */
const CTL_GET_LOOKAHEAD = 4027;

export interface OpusEncoderOptions {
  /** Target bitrate in bits/s. Default 32 000 (transparent enough for speech, mono). */
  bitrate?: number;
  /** libopus complexity 0..10. Default: the library's (9 here); lower it to trade quality for CPU. */
  complexity?: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10;
  /** libopus application. Default 'audio' (keeps music and laughter; 'voip' high-passes). */
  application?: 'voip' | 'audio' | 'restricted_lowdelay';
}

/** Encodes 20 ms mono frames. */
export class OpusFrameEncoder {
  readonly #encoder: Encoder;
  /** Encoder delay in 48 kHz samples; goes in `dOps` PreSkip (312 with libopus at 48 kHz). */
  readonly preSkip: number;

  constructor(opts: OpusEncoderOptions = {}) {
    const bitrate = opts.bitrate ?? 32_000;
    if (!Number.isInteger(bitrate) || bitrate < 6_000 || bitrate > 510_000) {
      throw new TypeError(`Opus bitrate must be an integer in 6000..510000, got ${bitrate}`);
    }
    this.#encoder = new Encoder({
      channels: 1,
      sample_rate: SAMPLE_RATE,
      application: opts.application ?? 'audio',
    });
    this.#encoder.bitrate = bitrate;
    if (opts.complexity !== undefined) this.#encoder.complexity = opts.complexity;
    this.preSkip = this.#encoder.ctl(CTL_GET_LOOKAHEAD);
  }

  /**
   * Encodes exactly one 20 ms frame (960 samples) into one Opus packet (a fresh copy). With `independent`,
   * the packet uses no prediction from earlier frames, so a decoder that did not hear this encoder's
   * earlier packets (it was fed another stream) decodes it cleanly.
   */
  encode(pcm: Int16Array, independent = false): Uint8Array {
    if (pcm.length !== FRAME_SAMPLES) {
      throw new TypeError(`encode() takes ${FRAME_SAMPLES} samples, got ${pcm.length}`);
    }
    if (!independent) return this.#encoder.encode(pcm);
    this.#encoder.prediction_disabled = true;
    try {
      return this.#encoder.encode(pcm);
    } finally {
      this.#encoder.prediction_disabled = false;
    }
  }

  reset(): void {
    this.#encoder.reset();
  }
}

/** Decodes mono Opus packets to 48 kHz samples, and conceals lost frames. */
export class OpusFrameDecoder {
  readonly #decoder = new Decoder({ channels: 1, sample_rate: SAMPLE_RATE });
  /** A 1-byte packet (TOC only, 20 ms, same mode as the last good packet) that makes libopus run PLC. */
  #plcPacket = new Uint8Array([plcToc(0xf8)]);

  /** Decodes one packet (any Opus duration, 2.5..120 ms). Throws on a corrupt packet. */
  decode(packet: Uint8Array): Int16Array {
    const pcm = toSamples(this.#decoder.decode(packet));
    if (packet.length > 0) this.#plcPacket[0] = plcToc(packet[0] ?? 0xf8);
    return pcm;
  }

  /** 20 ms of concealment continuing the last decoded audio; libopus fades it out over ~5 frames. */
  conceal(): Int16Array {
    return toSamples(this.#decoder.decode(this.#plcPacket));
  }

  reset(): void {
    this.#decoder.reset();
  }
}

/** The number of 48 kHz samples in an Opus packet, from its TOC (RFC 6716 §3.1); 0 if malformed. */
export function opusPacketSamples(packet: Uint8Array): number {
  const toc = packet[0];
  if (toc === undefined) return 0;
  const samples = opusFrameCount(packet, toc) * opusFrameSamples(toc);
  return samples <= MAX_PACKET_SAMPLES ? samples : 0; // RFC 6716 §3.4 [R5]: at most 120 ms
}

function opusFrameSamples(toc: number): number {
  const config = toc >> 3;
  if (config < 12) return [480, 960, 1920, 2880][config & 3] ?? 0; // SILK 10/20/40/60 ms
  if (config < 16) return (config & 1) === 0 ? 480 : 960; // Hybrid 10/20 ms
  return [120, 240, 480, 960][config & 3] ?? 0; // CELT 2.5/5/10/20 ms
}

function opusFrameCount(packet: Uint8Array, toc: number): number {
  const code = toc & 3;
  if (code === 0) return 1;
  if (code === 1 || code === 2) return 2;
  return (packet[1] ?? 0) & 0x3f;
}

/** The TOC of a 20 ms, code-0 packet in the same mode/bandwidth/stereo as `toc`. */
function plcToc(toc: number): number {
  const config = toc >> 3;
  const stereo = toc & 0x04;
  let config20: number;
  if (config < 12) config20 = (config & ~3) | 1;
  else if (config < 16) config20 = config | 1;
  else config20 = config | 3;
  return (config20 << 3) | stereo;
}

/** s16le bytes → samples. The binding returns a fresh, 0-offset copy, so a view is safe and free. */
function toSamples(bytes: Uint8Array): Int16Array {
  if (bytes.byteOffset % 2 === 0) return new Int16Array(bytes.buffer, bytes.byteOffset, bytes.length >> 1);
  return new Int16Array(bytes.slice().buffer, 0, bytes.length >> 1);
}
