/**
 * The messages between the node (StageWorker.ts) and its stage worker process (StageWorkerProcess.ts).
 * Requests carry `req`, and the worker answers each with one `reply`. Everything else the worker sends is
 * keyed by space. Typed arrays cross as they are (the channel's `advanced` serialization).
 */
import type { SpeakerCloseReason, SpeakerPeerState, StageRoomCounters } from '../stage/StageTypes.js';
import type { StageEngineOptions } from './StageEngine.js';

/** The stage of one space, as the main thread mirrors it. */
export interface StageSnapshot {
  readonly speakers: readonly string[];
  readonly peers: readonly {
    readonly userId: string;
    readonly id: string;
    readonly state: SpeakerPeerState;
  }[];
  readonly counters: StageRoomCounters;
}

/** An error as it crosses the thread boundary (a RostraError keeps its code). */
export interface WireError {
  readonly code?: string;
  readonly message: string;
  readonly details?: Record<string, unknown>;
  readonly retryAfter?: number;
}

/** AAC-LC frames that follow each other on the mix clock (1024 samples each), in one buffer. */
export interface AacBatch {
  /** Mix sample clock of the first frame. */
  readonly sampleTime: number;
  readonly sizes: readonly number[];
  readonly data: Uint8Array;
}

export type ToWorker =
  | { readonly type: 'open'; readonly req: number; readonly opts: StageEngineOptions }
  | {
      readonly type: 'addSpeaker';
      readonly req: number;
      readonly spaceId: string;
      readonly userId: string;
      readonly offer: string | Uint8Array;
    }
  | {
      readonly type: 'removeSpeaker';
      readonly spaceId: string;
      readonly userId: string;
      readonly reason: SpeakerCloseReason;
      readonly sessionId?: string;
    }
  | { readonly type: 'mute'; readonly spaceId: string; readonly userId: string; readonly muted: boolean }
  | { readonly type: 'startAac'; readonly spaceId: string; readonly bitrate: number }
  | { readonly type: 'close'; readonly req: number; readonly spaceId: string }
  /** Closes every space; the main thread terminates the worker after the reply. */
  | { readonly type: 'shutdown'; readonly req: number }
  /** Throws an uncaught error in the worker: how tests check that a crash is survived. */
  | { readonly type: 'crash' };

export type FromWorker =
  | {
      readonly type: 'reply';
      readonly req: number;
      readonly ok: true;
      readonly value?: unknown;
      readonly spaceId?: string;
      readonly snapshot?: StageSnapshot;
    }
  | { readonly type: 'reply'; readonly req: number; readonly ok: false; readonly error: WireError }
  | {
      readonly type: 'frame';
      readonly spaceId: string;
      readonly sampleTime: number;
      readonly durationSamples: number;
      readonly opus: Uint8Array;
      /** The AAC frames that came out of the encoder since the last message: one message per tick, not two. */
      readonly aac?: AacBatch;
    }
  /** The AAC encoder's last frames, after the space's stage closed (before the reply to `close`). */
  | { readonly type: 'aac'; readonly spaceId: string; readonly aac: AacBatch }
  | { readonly type: 'aacFailed'; readonly spaceId: string; readonly message: string }
  | {
      readonly type: 'speaking';
      readonly spaceId: string;
      readonly userId: string;
      readonly speaking: boolean;
    }
  | { readonly type: 'speakerLeft'; readonly spaceId: string; readonly userId: string }
  | { readonly type: 'stage'; readonly spaceId: string; readonly snapshot: StageSnapshot };
