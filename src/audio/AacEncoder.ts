/**
 * AAC-LC encoding of the broadcast mix, for the rendition iPhones play natively (Apple lists AAC, not
 * Opus, as an HLS audio codec). The encoder is FFmpeg's, compiled to WASM by `@mediabunny/aac-encoder`;
 * it runs in a worker thread of its own, so the 1–2 ms it spends per 1024-sample frame never blocks the
 * event loop. mediabunny drives it; its ADTS muxer hands back one frame at a time, and the 7-byte ADTS
 * header is stripped here, leaving the raw access units an MP4 `mdat` holds. A space's stage engine runs
 * it beside the mixer that makes the PCM (media/InlineStageEngine.ts), so with the stage worker neither
 * the encoding nor its driving touches the event loop that serves listeners.
 *
 * Timing: FFmpeg's AAC encoder delays its output by one frame (1024 samples of priming). The first packet
 * is that priming and is dropped, so frame n covers the mix's samples [origin + 1024 n, origin + 1024 (n+1)):
 * the AAC timeline starts on the same sample as the Opus one, with no edit list (which stalls hls.js).
 */
import type * as MediabunnyModule from 'mediabunny';
import type { AudioSampleSource, Output } from 'mediabunny';
import { logger } from '../log/Logger.js';
import { TypedEmitter } from '../util/TypedEmitter.js';

const log = logger('audio.aac');
/** How long `finish()` waits for the last frames (a hung worker; a busy one drains in milliseconds). */
const FINISH_DEADLINE_MS = 30_000;

/** Samples per AAC-LC frame. */
export const AAC_FRAME_SAMPLES = 1024;
const SAMPLE_RATE = 48_000;

export interface AacEncoderOptions {
  /** Bits per second. Default 48 000 (mono speech at 48 kHz). */
  bitrate?: number;
}

/** One encoded AAC-LC frame on the mix's 48 kHz sample clock (a `PackagerFrame`). */
export interface AacFrame {
  readonly data: Uint8Array;
  /** Mix sample clock of the frame's first sample. */
  readonly sampleTime: number;
  readonly durationSamples: number;
}

export type AacEncoderEvents = {
  frame: (frame: AacFrame) => void;
  /** The encoder failed; it emits nothing more. */
  error: (err: Error) => void;
};

type Mediabunny = typeof MediabunnyModule;
let loading: Promise<Mediabunny> | undefined;

/**
 * mediabunny and the encoder load on the first AAC encoder, not at import: they take ~150 ms to load,
 * which every process importing the broadcast (the CLI's listener, tests) would otherwise pay.
 */
function loadMediabunny(): Promise<Mediabunny> {
  loading ??= (async () => {
    const mediabunny = await import('mediabunny');
    const { registerAacEncoder } = await import('@mediabunny/aac-encoder');
    registerAacEncoder();
    return mediabunny;
  })();
  return loading;
}

export class AacEncoder extends TypedEmitter<AacEncoderEvents> {
  readonly bitrate: number;
  #mediabunny: Mediabunny | undefined;
  #output: Output | undefined;
  #source: AudioSampleSource | undefined;
  #queue: Promise<void>;
  #origin: number | undefined;
  #packets = 0; // ADTS frames received, the priming one included
  #failed = false;
  #closed = false;
  #flushing: Promise<void> | undefined;

  constructor(opts: AacEncoderOptions = {}) {
    super();
    this.bitrate = opts.bitrate ?? 48_000;
    this.#queue = loadMediabunny()
      .then(async (mediabunny) => {
        if (this.#closed) return;
        const { AdtsOutputFormat, AudioSampleSource, NullTarget, Output } = mediabunny;
        this.#mediabunny = mediabunny;
        this.#source = new AudioSampleSource({ codec: 'aac', bitrate: this.bitrate });
        this.#output = new Output({
          format: new AdtsOutputFormat({ onFrame: (adts) => this.#onAdts(adts) }),
          target: new NullTarget(),
        });
        this.#output.addAudioTrack(this.#source);
        await this.#output.start();
      })
      .catch((err: unknown) => this.#fail(err));
  }

  /** The encoder failed and emits nothing more. */
  get failed(): boolean {
    return this.#failed;
  }

  /**
   * Queues one mono frame of the mix (any length). The samples are copied, so the caller may reuse its
   * buffer. Frames must follow each other on the sample clock.
   */
  push(pcm: Int16Array, sampleTime: number): void {
    if (this.#closed || this.#failed || this.#flushing) return;
    this.#origin ??= sampleTime;
    const data = pcm.slice();
    const timestamp = (sampleTime - this.#origin) / SAMPLE_RATE;
    this.#queue = this.#queue
      .then(async () => {
        if (!this.#mediabunny || !this.#source || this.#closed || this.#failed) return;
        const sample = new this.#mediabunny.AudioSample({
          data,
          format: 's16',
          numberOfChannels: 1,
          sampleRate: SAMPLE_RATE,
          timestamp,
        });
        try {
          await this.#source.add(sample);
        } finally {
          sample.close();
        }
      })
      .catch((err: unknown) => this.#fail(err));
  }

  /** Encodes what is queued (the last frame padded with silence) and emits every frame. Idempotent. */
  flush(): Promise<void> {
    this.#flushing ??= this.#queue.then(async () => {
      if (this.#closed || this.#failed || !this.#output) return;
      // Nothing was ever pushed (a space that ended before its first frame): there is nothing to drain.
      if (this.#origin === undefined) return this.close();
      try {
        await this.#output.finalize();
      } catch (err) {
        this.#fail(err);
      }
    });
    return this.#flushing;
  }

  /**
   * The end of a space: emits what is left (flush), then closes. A worker that hangs must not hold up the
   * space's end (and its recording's finish): after a deadline it closes with what came out.
   */
  async finish(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, FINISH_DEADLINE_MS)));
    await Promise.race([this.flush(), late]);
    clearTimeout(timer);
    this.close();
  }

  /** Idempotent: stops the worker and drops every listener. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.removeAllListeners();
    const state = this.#output?.state;
    if (state === 'pending' || state === 'started') {
      this.#output?.cancel().catch((err: unknown) => log.warn({ err }, 'could not cancel the AAC encoder'));
    }
  }

  #onAdts(adts: Uint8Array): void {
    const n = this.#packets++;
    if (n === 0 || this.#closed || this.#origin === undefined) return; // the encoder's priming
    // protection_absent (bit 0 of byte 1) = 0 means a 2-byte CRC follows the 7-byte header.
    const header = ((adts[1] ?? 1) & 1) === 1 ? 7 : 9;
    this.emit('frame', {
      data: adts.slice(header),
      sampleTime: this.#origin + (n - 1) * AAC_FRAME_SAMPLES,
      durationSamples: AAC_FRAME_SAMPLES,
    });
  }

  #fail(err: unknown): void {
    if (this.#failed || this.#closed) return;
    this.#failed = true;
    const error = err instanceof Error ? err : new Error(String(err));
    log.error({ err: error }, 'AAC encoding failed; the AAC rendition stops');
    this.emit('error', error);
  }
}
