/**
 * The contract between the stage (speakers' WebRTC) and the audio engine (mixer, broadcast).
 * The stage emits each unmuted speaker's Opus packets as they arrive; the engine decodes, aligns and mixes
 * them. The engine hands back, per speaker, the Opus packets of everyone else (mix-minus) to send.
 */
import type { TypedEmitter } from '../util/TypedEmitter.js';

/** One received RTP Opus packet, as the stage got it (before any jitter buffering). */
export interface OpusPacket {
  /** RTP sequence number (16 bit, wraps). */
  readonly sequence: number;
  /** RTP timestamp in 48 kHz units (32 bit, wraps). */
  readonly timestamp: number;
  /** Monotonic arrival time in ms (`performance.now()`). */
  readonly arrivalMs: number;
  /** One Opus packet (usually 20 ms). */
  readonly payload: Uint8Array;
  /** RFC 6464 level in -dBov (0 loudest .. 127 silence), when the client sends the extension. */
  readonly audioLevel?: number;
}

export type StageAudioEvents = {
  /** A speaker's media is connected; packets for them may follow. */
  speakerJoined: (speakerId: string) => void;
  /** A packet from an unmuted speaker. Muted speakers' packets are dropped by the stage, never emitted. */
  packet: (speakerId: string, packet: OpusPacket) => void;
  /** The speaker's peer is gone (left, removed, failed, space ended). */
  speakerLeft: (speakerId: string) => void;
};

/** What the stage of one space exposes to the audio engine. */
export interface StageAudioSource extends Pick<TypedEmitter<StageAudioEvents>, 'on' | 'off'> {
  /** Speakers whose media is connected now. */
  speakers(): readonly string[];
}

/** What the audio engine gives back to the stage: one encoded mix-minus frame for one speaker. */
export interface StageAudioSink {
  /** Sends one 20 ms Opus frame (everyone but this speaker) to the speaker's peer. */
  sendToSpeaker(speakerId: string, opus: Uint8Array, rtpTimestamp: number): void;
}
