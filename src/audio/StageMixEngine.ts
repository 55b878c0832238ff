/**
 * The audio engine of one live space: glue between the stage and the mixer.
 * Stage packets → Mixer (per-speaker jitter buffer + decode) → each tick:
 *   - the total is Opus-encoded once and emitted as `frame` (48 kHz sample clock) for the broadcast;
 *   - a speaker who added nothing hears exactly the total, so they are sent that same packet: with 13 on
 *     stage and one talking, a tick costs two encodes, not fourteen;
 *   - a talking speaker's mix-minus is encoded by their own encoder (Opus encoders are stateful) and
 *     handed to `StageAudioSink.sendToSpeaker`. The shared packet goes only to someone quiet for a while
 *     (SHARE_AFTER_QUIET_TICKS), and an encoder coming back from it is primed with the last total, so
 *     nobody hears their own voice or a click at the switch;
 *   - levels feed the SpeakingDetector, which emits rate-limited `speaking` changes.
 * Per tick it allocates no typed array and no Map of its own (the encoder returns a fresh packet).
 */
import type { OpusPacket, StageAudioEvents, StageAudioSink, StageAudioSource } from '../stage/StageAudio.js';
import { logger } from '../log/Logger.js';
import { TypedEmitter } from '../util/TypedEmitter.js';
import { Mixer, SILENCE_DB, type MixFrame, type MixerOptions } from './Mixer.js';
import { FRAME_MS, FRAME_SAMPLES, OpusFrameEncoder, type OpusEncoderOptions } from './OpusCodec.js';
import type { FrameSource } from './SpeakerSource.js';
import { SpeakingDetector, type SpeakingDetectorOptions } from './SpeakingDetector.js';

const log = logger('audio.engine');
/** Silent frames encoded after a stall before the last packet is reused. */
const SETTLE_FRAMES = 10;
const SILENT_FRAME = new Int16Array(FRAME_SAMPLES);

/** What the engine needs of an encoder: one 20 ms frame in, one packet out. */
export interface FrameEncoder {
  /** `independent`: the packet must decode cleanly after another stream's packets (no inter-frame prediction). */
  encode(pcm: Int16Array, independent?: boolean): Uint8Array;
  reset(): void;
  readonly preSkip: number;
}

export interface StageMixEngineOptions {
  source: StageAudioSource;
  sink: StageAudioSink;
  mixer?: MixerOptions;
  /** For the broadcast (total) encoder. Default 32 kbps. */
  broadcastEncoder?: OpusEncoderOptions;
  /** For each speaker's mix-minus encoder. Default 32 kbps. */
  speakerEncoder?: OpusEncoderOptions;
  speaking?: SpeakingDetectorOptions;
  /** Start the mixer's 20 ms clock at construction. Default true; tests pass false and call `tick()`. */
  autoStart?: boolean;
  /** Makes each encoder. Default: OpusFrameEncoder. Tests inject one that keeps the PCM it was given. */
  encoder?: (opts: OpusEncoderOptions) => FrameEncoder;
  /** Makes each speaker's mixer source. Default: a SpeakerSource fed with the stage's packets. */
  sourceFor?: (speakerId: string) => FrameSource;
}

interface SpeakerState {
  readonly encoder: FrameEncoder;
  /** Their encoder sat out the last tick (they were sent the shared total): reset it before next use. */
  idle: boolean;
  /** Ticks in a row, up to this one, in which they added nothing to the mix. */
  quietTicks: number;
}

/**
 * Ticks a speaker must have added nothing (this one included) before they are sent the shared total (300 ms).
 * The total's encoder remembers a speaker who just stopped (its lookahead and pitch pre-filter hold the
 * last frames, its band energies decay over more), and every switch between streams risks a click in what
 * they hear, so switches are kept rare. Measured with one speaker losing 80 % of their packets (stopping
 * and starting all the time), the worst 200 ms of their feed had their own tone at −60 dB with 15 ticks,
 * −49 dB with 3 (StageMixEngine.test.ts checks it stays below −40 dB).
 */
export const SHARE_AFTER_QUIET_TICKS = 15;

/** One encoded 20 ms frame of the total mix. */
export interface EncodedMixFrame {
  readonly opus: Uint8Array;
  /**
   * 48 kHz sample clock of the frame's first sample: starts at 0, +960 per frame. Frames are never missing:
   * when the mixer's clock skips a stall, the skipped frames are emitted as encoded silence.
   */
  readonly sampleTime: number;
  readonly durationSamples: number;
}

export type StageMixEngineEvents = {
  /** Every 20 ms: the encoded total, for the broadcast packager. */
  frame: (frame: EncodedMixFrame) => void;
  /**
   * Every 20 ms, right before `frame`: the same total as PCM (silence for a stall's skipped ticks), for
   * the AAC rendition (broadcast/AacRendition.ts). The buffer may be reused: copy to keep.
   */
  pcm: (pcm: Int16Array, sampleTime: number) => void;
  /** A speaker started or stopped speaking (at most 4 Hz per speaker by default). */
  speaking: (speakerId: string, speaking: boolean) => void;
  /** Every 20 ms: each speaker's level in dBFS (or −dBov with RFC 6464 levels). The map is reused: copy to keep. */
  levels: (levels: ReadonlyMap<string, number>) => void;
};

export class StageMixEngine extends TypedEmitter<StageMixEngineEvents> {
  readonly #source: StageAudioSource;
  readonly #sink: StageAudioSink;
  readonly #mixer: Mixer;
  readonly #speaking: SpeakingDetector;
  readonly #broadcastEncoder: FrameEncoder;
  readonly #speakerEncoderOpts: OpusEncoderOptions;
  readonly #makeEncoder: (opts: OpusEncoderOptions) => FrameEncoder;
  readonly #sourceFor: ((speakerId: string) => FrameSource) | undefined;
  /**
   * Encodes the total for silent speakers when their encoder settings differ from the broadcast's; when
   * they are the same (the default), silent speakers get the broadcast packet itself.
   */
  readonly #silentEncoder: FrameEncoder | undefined;
  #silentEncoderIdle = false;
  readonly #speakers = new Map<string, SpeakerState>();
  readonly #levels = new Map<string, number>();
  /** The previous tick's total, to prime a speaker's encoder when they stop sharing it. */
  readonly #lastTotal = new Int16Array(FRAME_SAMPLES);
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
    this.#makeEncoder = opts.encoder ?? ((o) => new OpusFrameEncoder(o));
    this.#sourceFor = opts.sourceFor;
    const broadcastOpts = opts.broadcastEncoder ?? {};
    this.#broadcastEncoder = this.#makeEncoder(broadcastOpts);
    this.#speakerEncoderOpts = opts.speakerEncoder ?? {};
    if (!sameEncoding(broadcastOpts, this.#speakerEncoderOpts))
      this.#silentEncoder = this.#makeEncoder(this.#speakerEncoderOpts);

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
    this.#speakers.clear();
    this.#levels.clear();
    this.removeAllListeners();
  }

  #addSpeaker(id: string): void {
    if (this.#closed || this.#speakers.has(id)) return;
    if (this.#sourceFor) this.#mixer.addSource(id, this.#sourceFor(id));
    else this.#mixer.addSource(id);
    this.#speakers.set(id, {
      encoder: this.#makeEncoder(this.#speakerEncoderOpts),
      idle: false,
      // A newcomer was never in the total: they may share it at once.
      quietTicks: SHARE_AFTER_QUIET_TICKS,
    });
    log.debug({ speaker: id }, 'speaker added to the mix');
  }

  #removeSpeaker(id: string): void {
    if (!this.#speakers.delete(id)) return;
    this.#mixer.removeSource(id);
    this.#levels.delete(id);
    this.#speaking.remove(id);
    log.debug({ speaker: id }, 'speaker removed from the mix');
  }

  #onStagePacket(id: string, packet: OpusPacket): void {
    // The contract has `speakerJoined` first. A packet from an unknown speaker (a straggler after
    // `speakerLeft`) is dropped: re-adding would leave a ghost that gets mix-minus forever.
    if (!this.#speakers.has(id)) return;
    this.#mixer.push(id, packet);
  }

  /**
   * Fills the frames a stall skipped with silence, so the broadcast stays contiguous and on wall time.
   * Speakers get nothing for them, as after any network gap. Silence is encoded a few times, to settle
   * the encoder, then that packet is repeated: a long stall costs almost nothing to fill.
   */
  #onSkipped(frames: number, sampleTime: number): void {
    let opus: Uint8Array | undefined;
    for (let i = 0; i < frames; i++) {
      if (i < SETTLE_FRAMES || !opus) opus = this.#broadcastEncoder.encode(SILENT_FRAME);
      this.emit('pcm', SILENT_FRAME, sampleTime + i * FRAME_SAMPLES);
      this.emit('frame', {
        opus,
        sampleTime: sampleTime + i * FRAME_SAMPLES,
        durationSamples: FRAME_SAMPLES,
      });
    }
  }

  #onMix(frame: MixFrame): void {
    const rtpTimestamp = frame.sampleTime >>> 0; // the same 48 kHz clock, wrapped to 32 bits
    // A speaker who moves onto the shared packets this tick has a decoder that followed their own stream:
    // the shared packet must not lean on frames that decoder never had (else a click in what they hear).
    let joining = false;
    for (const [id, pcm] of frame.minus) {
      const speaker = this.#speakers.get(id);
      if (!speaker) continue;
      speaker.quietTicks = pcm === frame.total ? speaker.quietTicks + 1 : 0;
      if (speaker.quietTicks >= SHARE_AFTER_QUIET_TICKS && !speaker.idle) joining = true;
    }
    const broadcast = this.#broadcastEncoder.encode(frame.total, joining && !this.#silentEncoder);
    let shared: Uint8Array | undefined; // the total, encoded once for every silent speaker
    for (const id of frame.minus.keys()) {
      const speaker = this.#speakers.get(id);
      if (!speaker) continue;
      const pcm = frame.minus.get(id) as Int16Array;
      let opus: Uint8Array;
      if (speaker.quietTicks >= SHARE_AFTER_QUIET_TICKS) {
        // They added nothing this tick (the mixer's contract: their mix-minus is the total itself), nor
        // in the frames the total's encoder still remembers: they hear exactly that encoder's packet.
        shared ??= this.#encodeSharedTotal(frame.total, broadcast, joining);
        speaker.idle = true;
        opus = shared;
      } else {
        // Back from the shared packets: their encoder's state is from long ago. Reset, it would start from
        // silence (a dip: its lookahead is 6.5 ms); fed the last total first (what they last heard), it
        // continues that audio seamlessly. The first packet needs no history from the decoder either.
        const resuming = speaker.idle;
        if (resuming) {
          speaker.encoder.reset();
          speaker.encoder.encode(this.#lastTotal);
        }
        speaker.idle = false;
        opus = speaker.encoder.encode(pcm, resuming);
      }
      try {
        this.#sink.sendToSpeaker(id, opus, rtpTimestamp);
      } catch (err) {
        if (this.#sendErrors++ % 500 === 0) log.warn({ err, speaker: id }, 'sendToSpeaker failed');
      }
    }
    if (this.#silentEncoder && shared === undefined) this.#silentEncoderIdle = true;
    this.#lastTotal.set(frame.total);
    this.emit('pcm', frame.total, frame.sampleTime);
    this.emit('frame', { opus: broadcast, sampleTime: frame.sampleTime, durationSamples: FRAME_SAMPLES });

    const nowMs = frame.index * FRAME_MS;
    const levels = this.#levels;
    for (const [id, rms] of frame.levels) {
      const rfc6464 = this.#mixer.getSource(id)?.audioLevel;
      const level = rfc6464 !== undefined && rms > SILENCE_DB ? -rfc6464 : rms;
      levels.set(id, level);
      this.#speaking.update(id, level, nowMs);
    }
    this.emit('levels', levels);
  }

  #encodeSharedTotal(total: Int16Array, broadcast: Uint8Array, independent: boolean): Uint8Array {
    const encoder = this.#silentEncoder;
    if (!encoder) return broadcast;
    if (this.#silentEncoderIdle) encoder.reset();
    this.#silentEncoderIdle = false;
    return encoder.encode(total, independent);
  }
}

/** Whether two encoder settings give the same packets for the same input (defaults resolved). */
function sameEncoding(a: OpusEncoderOptions, b: OpusEncoderOptions): boolean {
  return (
    (a.bitrate ?? 32_000) === (b.bitrate ?? 32_000) &&
    a.complexity === b.complexity &&
    (a.application ?? 'audio') === (b.application ?? 'audio')
  );
}
