/**
 * One speaker as the mixer sees it: jitter buffer → Opus decode (or PLC) → one 20 ms frame per tick.
 * It owns the click-free edges: a talk spurt fades in over its first frame, and when the speaker stops
 * (mute, pause, leave) the concealment that continues the waveform is faded to zero over one frame.
 */
import type { OpusPacket } from '../stage/StageAudio.js';
import { logger } from '../log/Logger.js';
import { JitterBuffer, type JitterBufferOptions, type JitterStats, type PushResult } from './JitterBuffer.js';
import { FRAME_SAMPLES, OpusFrameDecoder } from './OpusCodec.js';

const log = logger('audio.source');

/** Anything the mixer can pull 20 ms frames from. Tests use constant sources; speakers use SpeakerSource. */
export interface FrameSource {
  /** The next 960 samples (the source may reuse the array at the next pull), or null when it adds nothing. */
  pull(): Int16Array | null;
  /** The latest RFC 6464 level (−dBov, 0 loud .. 127 silent) if the client sends it. */
  readonly audioLevel?: number | undefined;
  /** True once the source has ended and faded out: the mixer may forget it. */
  readonly finished?: boolean;
  /** Asks the source to fade out and finish. */
  end?(): void;
}

export interface SpeakerSourceOptions {
  jitter?: JitterBufferOptions;
}

// The largest Opus packet is 120 ms; keep room for that plus a frame being assembled.
const CARRY_CAPACITY = 6 * FRAME_SAMPLES + FRAME_SAMPLES;

export class SpeakerSource implements FrameSource {
  readonly id: string;
  readonly #jitter: JitterBuffer;
  readonly #decoder = new OpusFrameDecoder();
  readonly #carry = new Int16Array(CARRY_CAPACITY);
  /**
   * The frame `pull()` returns when it is assembled here (otherwise the decoder's fresh array is): reused,
   * valid until the next pull (the mixer reads it within its tick).
   */
  readonly #out = new Int16Array(FRAME_SAMPLES);
  #carryLen = 0;
  #audible = false; // the previous pull produced sound
  #ending = false;
  #finished = false;
  #audioLevel: number | undefined;
  #decodeErrors = 0;

  constructor(id: string, opts: SpeakerSourceOptions = {}) {
    this.id = id;
    this.#jitter = new JitterBuffer(opts.jitter);
  }

  get audioLevel(): number | undefined {
    return this.#audioLevel;
  }

  get finished(): boolean {
    return this.#finished;
  }

  get stats(): Readonly<JitterStats> & { readonly decodeErrors: number } {
    return { ...this.#jitter.stats, decodeErrors: this.#decodeErrors };
  }

  push(packet: OpusPacket): PushResult | 'ended' {
    if (this.#ending) return 'ended';
    if (packet.audioLevel !== undefined) this.#audioLevel = packet.audioLevel;
    return this.#jitter.push(packet);
  }

  end(): void {
    if (this.#ending) return;
    this.#ending = true;
    this.#jitter.reset();
  }

  pull(): Int16Array | null {
    if (this.#finished) return null;
    const frame = this.#fill();
    if (frame) {
      if (!this.#audible) fade(frame, 0, 1); // first frame of a talk spurt
      this.#audible = true;
      return frame;
    }
    if (this.#audible) {
      // The speaker stopped: continue the waveform with PLC for one frame, faded to zero, then silence.
      this.#audible = false;
      this.#carryLen = 0;
      const tail = this.#out;
      tail.set(this.#concealOrSilence());
      fade(tail, 1, 0);
      this.#decoder.reset();
      this.#audioLevel = undefined;
      return tail;
    }
    if (this.#ending) this.#finished = true;
    return null;
  }

  /** Assembles 960 samples from whole packets, concealment and the carry; null when the buffer is silent. */
  #fill(): Int16Array | null {
    if (this.#carryLen === 0) {
      // The usual case, one 20 ms packet per tick: its decoded samples are the frame. They are a fresh
      // array from the decoder, so they are returned as they are, with no copy through the carry.
      const slot = this.#jitter.pull();
      if (slot.kind === 'silent') return null;
      const pcm =
        slot.kind === 'packet'
          ? slot.fadeFrom
            ? this.#crossfade(slot.fadeFrom.payload, slot.packet.payload)
            : this.#decode(slot.packet.payload)
          : this.#concealOrSilence();
      if (pcm.length === FRAME_SAMPLES && pcm !== SILENT_FRAME) return pcm;
      const n = Math.min(pcm.length, CARRY_CAPACITY);
      this.#carry.set(pcm.subarray(0, n));
      this.#carryLen = n;
    }
    while (this.#carryLen < FRAME_SAMPLES) {
      const slot = this.#jitter.pull();
      if (slot.kind === 'silent') {
        if (this.#carryLen === 0) return null;
        this.#carry.fill(0, this.#carryLen, FRAME_SAMPLES); // a part-filled frame ends in silence
        this.#carryLen = FRAME_SAMPLES;
        break;
      }
      const pcm = slot.kind === 'packet' ? this.#decode(slot.packet.payload) : this.#concealOrSilence();
      const n = Math.min(pcm.length, CARRY_CAPACITY - this.#carryLen);
      this.#carry.set(pcm.subarray(0, n), this.#carryLen);
      this.#carryLen += n;
    }
    this.#out.set(this.#carry.subarray(0, FRAME_SAMPLES));
    this.#carry.copyWithin(0, FRAME_SAMPLES, this.#carryLen);
    this.#carryLen -= FRAME_SAMPLES;
    return this.#out;
  }

  /**
   * Standing delay was just drained (JitterBuffer): fade out of the frame that would have played into the
   * one that plays now, over one frame, so the skip is not a click (a click splashes energy across the
   * spectrum, into every other speaker's band). One extra decode, once per drain.
   */
  #crossfade(from: Uint8Array, to: Uint8Array): Int16Array {
    const a = this.#decode(from);
    const b = this.#decode(to);
    if (a.length !== b.length || a === SILENT_FRAME || b === SILENT_FRAME) return b;
    const out = new Int16Array(b.length);
    const n = b.length;
    for (let i = 0; i < n; i++) out[i] = Math.round(((a[i] ?? 0) * (n - i) + (b[i] ?? 0) * i) / n);
    return out;
  }

  #decode(payload: Uint8Array): Int16Array {
    try {
      return this.#decoder.decode(payload);
    } catch (err) {
      // A corrupt packet is one lost frame, not a reason to stop the speaker.
      if (this.#decodeErrors++ % 500 === 0) log.warn({ err, speaker: this.id }, 'undecodable Opus packet');
      return this.#concealOrSilence();
    }
  }

  #concealOrSilence(): Int16Array {
    try {
      const pcm = this.#decoder.conceal();
      if (pcm.length === FRAME_SAMPLES) return pcm;
    } catch (err) {
      log.debug({ err, speaker: this.id }, 'PLC failed; using silence');
    }
    return SILENT_FRAME;
  }
}

/** Read-only by convention: callers copy from it and never write to it. */
const SILENT_FRAME = new Int16Array(FRAME_SAMPLES);

/** Linear gain ramp from `from` to `to` across the frame, in place. */
function fade(frame: Int16Array, from: number, to: number): void {
  const n = frame.length;
  for (let i = 0; i < n; i++) {
    const g = from + ((to - from) * (i + 1)) / n;
    frame[i] = Math.round((frame[i] ?? 0) * g);
  }
}
