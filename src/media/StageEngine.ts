/**
 * The contract between a space's media (SpaceMedia, in the node) and its stage engine: the speakers'
 * WebRTC peers, their jitter buffers, the mixer, the mix-minus encoders and speaking detection.
 *
 * Two engines implement it. `worker` runs every space's engine of a node in one worker process
 * (StageWorker.ts), so that serving listeners cannot delay a speaker's packets or the mixer's ticks.
 * `inline` (the default for now) runs it in the node's own event loop (InlineStageEngine.ts), as before,
 * and is the reference the stage bench compares against. This file imports types only: with the worker, the node
 * never loads werift or libopus.
 */
import type { AacFrame } from '../audio/AacEncoder.js';
import type { EncodedMixFrame } from '../audio/StageMixEngine.js';
import type {
  SpeakerCloseReason,
  SpeakerPeerState,
  SpeakerPeerStats,
  SpeakerSession,
  StageRoomCounters,
} from '../stage/StageTypes.js';
import type { TypedEmitter } from '../util/TypedEmitter.js';

/** Where a node runs its stage engines (`--stage-engine`): a worker process, or its own event loop. */
export type StageEngineKind = 'worker' | 'inline';

export interface StageEngineOptions {
  spaceId: string;
  announcedIps: readonly string[];
  maxSpeakers: number;
  /** The broadcast mix's Opus bitrate. */
  bitrate: number;
}

/** A speaker's peer as the main thread sees it (for diagnostics and tests). */
export interface StagePeerView {
  readonly id: string;
  readonly state: SpeakerPeerState;
  /** Its counters; the worker engine does not copy them across (undefined). */
  stats(): SpeakerPeerStats | undefined;
}

/**
 * What the WHIP routes and the control plane do with a space's stage. Synchronous reads answer from the
 * main thread's view (with the worker engine, a copy the worker keeps up to date).
 */
export interface StageControl {
  /** Speakers whose media is connected now. */
  speakers(): readonly string[];
  /**
   * Answers a WHIP offer (RostraError: `invalid_sdp`, `unsupported_codec`, `payload_too_large`,
   * `speaker_limit`, `space_ended`, `invalid_state`).
   */
  addSpeaker(userId: string, offer: string | Uint8Array): Promise<SpeakerSession>;
  /** Closes a user's peer (only session `sessionId`, when given); whether there was one to close. */
  removeSpeaker(userId: string, reason?: SpeakerCloseReason, sessionId?: string): boolean;
  mute(userId: string): void;
  unmute(userId: string): void;
  isMuted(userId: string): boolean;
  counters(): StageRoomCounters;
  peer(userId: string): StagePeerView | undefined;
}

export type StageEngineEvents = {
  /** Every 20 ms: the encoded total, for the broadcast packager. */
  frame: (frame: EncodedMixFrame) => void;
  /** After `startAac`: each AAC-LC frame of the same total, in order on the mix clock (a few frames late). */
  aac: (frame: AacFrame) => void;
  /** The AAC encoder failed: no `aac` comes any more (the Opus broadcast goes on). */
  aacFailed: (err: Error) => void;
  speaking: (userId: string, speaking: boolean) => void;
  speakerLeft: (userId: string) => void;
  /** The engine died (its worker process crashed): it emits nothing more; the space's media must be dropped. */
  failed: (err: Error) => void;
};

export interface SpaceStageEngine extends Pick<TypedEmitter<StageEngineEvents>, 'on' | 'off' | 'once'> {
  readonly stage: StageControl;
  /** PreSkip of the broadcast encoder (samples), for the fMP4 `dOps` box. */
  readonly preSkip: number;
  /**
   * From the next tick on, also encodes the total to AAC-LC at `bitrate` (the `aac` events), beside the
   * mixer: with the worker engine, only the frames cross to the node. Idempotent.
   */
  startAac(bitrate: number): void;
  /**
   * Idempotent: closes every peer and stops the mixer; settles when the peers' sockets are released and
   * the AAC encoder's last frames were emitted.
   */
  close(): Promise<void>;
}
