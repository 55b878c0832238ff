/**
 * The audio engine of one live space: glue between the stage and the mixer.
 * Stage packets → Mixer (per-speaker jitter buffer + decode) → each tick:
 *   - each speaker's mix-minus is Opus-encoded (one encoder per speaker: Opus encoders are stateful) and
 *     handed to `StageAudioSink.sendToSpeaker`;
 *   - the total is Opus-encoded once and emitted as `frame` (48 kHz sample clock) for the broadcast;
 *   - levels feed the SpeakingDetector, which emits rate-limited `speaking` changes.
 */
import type { OpusPacket, StageAudioEvents, StageAudioSink, StageAudioSource } from '../stage/StageAudio.js';
import { logger } from '../log/Logger.js';
import { TypedEmitter } from '../util/TypedEmitter.js';
import { Mixer, SILENCE_DB, type MixFrame, type MixerOptions } from './Mixer.js';
import { FRAME_MS, FRAME_SAMPLES, OpusFrameEncoder, type OpusEncoderOptions } from './OpusCodec.js';
import { SpeakingDetector, type SpeakingDetectorOptions } from './SpeakingDetector.js';

const log = logger('audio.engine');
/** Silent frames encoded after a stall before the last packet is reused. */
const SETTLE_FRAMES = 10;

export interface StageMixEngineOptions {
  source: StageAudioSource;
  sink: StageAudioSink;
  mixer?: MixerOptions;
  /** For the broadcast (total) encoder. Default 32 kbps. */
  broadcastEncoder?: OpusEncoderOptions;
  /** For each speaker's mix-minus encoder. Default 32 kbps. */
  speakerEncoder?: OpusEncoderOptions;
  speaking?: SpeakingDetectorOptions;
  /** Start the 20 ms wall clock at construction. Default true; tests pass false and call `tick()`. */
  autoStart?: boolean;
}

/** One encoded 20 ms frame of the total mix. */
export interface EncodedMixFrame {
  readonly opus: Uint8Array;
  /** 48 kHz sample clock of the frame's first sample: starts at 0, +960 per frame, never skips. */
  readonly sampleTime: number;
  readonly durationSamples: number;
}

export type StageMixEngineEvents = {
  /** Every 20 ms: the encoded total, for the broadcast packager. */
  frame: (frame: EncodedMixFrame) => void;
  /** A speaker started or stopped speaking (at most 4 Hz per speaker by default). */
  speaking: (speakerId: string, speaking: boolean) => void;
  /** Every 20 ms: each speaker's level in dBFS (or −dBov when the client sends RFC 6464 levels). */
  levels: (levels: ReadonlyMap<string, number>) => void;
};

export class StageMixEngine extends TypedEmitter<StageMixEngineEvents> {
  readonly #source: StageAudioSource;
  readonly #sink: StageAudioSink;
  readonly #mixer: Mixer;
  readonly #speaking: SpeakingDetector;
  readonly #broadcastEncoder: OpusFrameEncoder;
  readonly #speakerEncoderOpts: OpusEncoderOptions;
  readonly #encoders = new Map<string, OpusFrameEncoder>();
  readonly #onJoined: StageAudioEvents['speakerJoined'];
  readonly #onPacket: StageAudioEvents['packet'];
  readonly #onLeft: StageAudioEvents['speakerLeft'];
  #sendErrors = 0;
  #closed = false;

  constructor(opts: StageMixEngineOptions) {
    super();
    this.#source = opts.source;
    this.#sink = opts.sink;
    this.#mixer = new Mixer(opts.mixer);
    this.#speaking = new SpeakingDetector(opts.speaking);
    this.#broadcastEncoder = new OpusFrameEncoder(opts.broadcastEncoder);
    this.#speakerEncoderOpts = opts.speakerEncoder ?? {};

    this.#onJoined = (id) => this.#addSpeaker(id);
    this.#onPacket = (id, packet) => this.#onStagePacket(id, packet);
    this.#onLeft = (id) => this.#removeSpeaker(id);
    this.#source.on('speakerJoined', this.#onJoined);
    this.#source.on('packet', this.#onPacket);
    this.#source.on('speakerLeft', this.#onLeft);
    for (const id of this.#source.speakers()) this.#addSpeaker(id);

    this.#mixer.on('frame', (frame) => this.#onMix(frame));
    this.#mixer.on('skipped', (frames, sampleTime) => this.#onSkipped(frames, sampleTime));
    this.#speaking.on('change', (id, speaking) => this.emit('speaking', id, speaking));
    if (opts.autoStart ?? true) this.#mixer.start();
  }

  /** PreSkip of the broadcast encoder (samples), for the fMP4 `dOps` box. */
  get preSkip(): number {
    return this.#broadcastEncoder.preSkip;
  }

  /** Sample clock of the next frame. */
  get sampleTime(): number {
    return this.#mixer.sampleTime;
  }

  speakers(): string[] {
    return this.#mixer.sourceIds();
  }

  isSpeaking(speakerId: string): boolean {
    return this.#speaking.isSpeaking(speakerId);
  }

  /** Steps the mix by one 20 ms frame by hand (when constructed with `autoStart: false`). */
  tick(): void {
    this.#mixer.tick();
  }

  start(): void {
    this.#mixer.start();
  }

  /** Idempotent: unsubscribes from the stage, stops the clock, drops encoders and listeners. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#source.off('speakerJoined', this.#onJoined);
    this.#source.off('packet', this.#onPacket);
    this.#source.off('speakerLeft', this.#onLeft);
    this.#mixer.close();
    this.#speaking.close();
    this.#encoders.clear();
    this.removeAllListeners();
  }

  #addSpeaker(id: string): void {
    if (this.#closed || this.#encoders.has(id)) return;
    this.#mixer.addSource(id);
    this.#encoders.set(id, new OpusFrameEncoder(this.#speakerEncoderOpts));
    log.debug({ speaker: id }, 'speaker added to the mix');
  }

  #removeSpeaker(id: string): void {
    if (!this.#encoders.delete(id)) return;
    this.#mixer.removeSource(id);
    this.#speaking.remove(id);
    log.debug({ speaker: id }, 'speaker removed from the mix');
  }

  #onStagePacket(id: string, packet: OpusPacket): void {
    // The contract has `speakerJoined` first. A packet from an unknown speaker (a straggler after
    // `speakerLeft`) is dropped: re-adding would leave a ghost that gets mix-minus forever.
    if (!this.#encoders.has(id)) return;
    this.#mixer.push(id, packet);
  }

  /**
   * Fills the frames a stall skipped with silence, so the broadcast stays contiguous and on wall time.
   * Speakers get nothing for them, as after any network gap. Silence is encoded a few times, to settle
   * the encoder, then that packet is repeated: a long stall costs almost nothing to fill.
   */
  #onSkipped(frames: number, sampleTime: number): void {
    const pcm = new Int16Array(FRAME_SAMPLES);
    let opus: Uint8Array | undefined;
    for (let i = 0; i < frames; i++) {
      if (i < SETTLE_FRAMES || !opus) opus = this.#broadcastEncoder.encode(pcm);
      this.emit('frame', {
        opus,
        sampleTime: sampleTime + i * FRAME_SAMPLES,
        durationSamples: FRAME_SAMPLES,
      });
    }
  }

  #onMix(frame: MixFrame): void {
    const rtpTimestamp = frame.sampleTime >>> 0; // the same 48 kHz clock, wrapped to 32 bits
    for (const [id, pcm] of frame.minus) {
      const encoder = this.#encoders.get(id);
      if (!encoder) continue;
      try {
        this.#sink.sendToSpeaker(id, encoder.encode(pcm), rtpTimestamp);
      } catch (err) {
        if (this.#sendErrors++ % 500 === 0) log.warn({ err, speaker: id }, 'sendToSpeaker failed');
      }
    }
    this.emit('frame', {
      opus: this.#broadcastEncoder.encode(frame.total),
      sampleTime: frame.sampleTime,
      durationSamples: FRAME_SAMPLES,
    });

    const nowMs = frame.index * FRAME_MS;
    const levels = new Map<string, number>();
    for (const [id, rms] of frame.levels) {
      const rfc6464 = this.#mixer.getSource(id)?.audioLevel;
      const level = rfc6464 !== undefined && rms > SILENCE_DB ? -rfc6464 : rms;
      levels.set(id, level);
      this.#speaking.update(id, level, nowMs);
    }
    this.emit('levels', levels);
  }
}
