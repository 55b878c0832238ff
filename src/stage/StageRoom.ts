/**
 * The stage of one live space: its speakers' peers (one per user), server-side mute, and both sides of the
 * audio engine contract (StageAudioSource out, StageAudioSink in).
 */
import { RostraError } from '../errors/index.js';
import { logger } from '../log/Logger.js';
import { TypedEmitter } from '../util/TypedEmitter.js';
import type { SdpOffer } from './SdpOffer.js';
import { SpeakerPeer } from './SpeakerPeer.js';
import type { StageAudioEvents, StageAudioSink, StageAudioSource } from './StageAudio.js';
import type {
  SpeakerCloseReason,
  SpeakerSession,
  StageRoomCounters,
  StageRoomOptions,
} from './StageTypes.js';
import { checkIceAddressOptions } from './WeriftIce.js';

const log = logger('stage.room');

const DEFAULT_MAX_SPEAKERS = 13;

export class StageRoom implements StageAudioSource, StageAudioSink {
  readonly spaceId: string;
  readonly #opts: StageRoomOptions;
  readonly #maxSpeakers: number;
  readonly #events = new TypedEmitter<StageAudioEvents>();
  /** The current peer of each user. */
  readonly #peers = new Map<string, SpeakerPeer>();
  /** Peers still answering, so close() reaches them too. */
  readonly #pending = new Set<SpeakerPeer>();
  /** Users muted by a moderator; kept across their reconnects until unmuted. */
  readonly #muted = new Set<string>();
  /** Per user, the ticket of their newest addSpeaker call: an older call that finishes later loses. */
  readonly #tickets = new Map<string, number>();
  #nextTicket = 0;
  #closed: Promise<void> | undefined;

  constructor(spaceId: string, options: StageRoomOptions) {
    checkIceAddressOptions(options);
    const maxSpeakers = options.maxSpeakers ?? DEFAULT_MAX_SPEAKERS;
    if (!Number.isInteger(maxSpeakers) || maxSpeakers < 1) throw new TypeError('maxSpeakers must be >= 1');
    this.spaceId = spaceId;
    this.#opts = options;
    this.#maxSpeakers = maxSpeakers;
  }

  get closed(): boolean {
    return this.#closed !== undefined;
  }

  // The contract (Pick<TypedEmitter, 'on' | 'off'>) makes these return the emitter itself, not the room.
  on<K extends keyof StageAudioEvents>(
    event: K,
    listener: StageAudioEvents[K],
  ): TypedEmitter<StageAudioEvents> {
    return this.#events.on(event, listener);
  }

  off<K extends keyof StageAudioEvents>(
    event: K,
    listener: StageAudioEvents[K],
  ): TypedEmitter<StageAudioEvents> {
    return this.#events.off(event, listener);
  }

  /** Speakers whose media is connected now. */
  speakers(): readonly string[] {
    return [...this.#peers.values()].filter((p) => p.state === 'connected').map((p) => p.speakerId);
  }

  /** Every user's current peer, in any state (the stage worker mirrors them to the main thread). */
  sessions(): { userId: string; id: string; state: SpeakerPeer['state'] }[] {
    return [...this.#peers.values()].map((p) => ({ userId: p.speakerId, id: p.id, state: p.state }));
  }

  /** The current peer of a user (for stats and tests), if any. */
  peer(userId: string): SpeakerPeer | undefined {
    return this.#peers.get(userId);
  }

  /**
   * Answers a WHIP offer from `userId`. A previous session of the same user is replaced once the new one is
   * answered (a bad offer leaves the old one alone). Throws RostraError: `invalid_sdp`, `unsupported_codec`,
   * `payload_too_large`, `speaker_limit`, `space_ended`, `invalid_state` (superseded by a newer request).
   */
  async addSpeaker(userId: string, offer: string | Uint8Array | SdpOffer): Promise<SpeakerSession> {
    if (this.#closed) throw new RostraError('space_ended', 'The stage of this space is closed.');
    if (!this.#peers.has(userId) && this.#peers.size + this.#pending.size >= this.#maxSpeakers) {
      throw new RostraError(
        'speaker_limit',
        `The stage already has ${this.#maxSpeakers} speakers connected.`,
      );
    }
    const ticket = ++this.#nextTicket;
    this.#tickets.set(userId, ticket);
    const peer = new SpeakerPeer(userId, this.#opts);
    this.#pending.add(peer);
    let answerSdp: string;
    try {
      answerSdp = await peer.answer(offer);
    } finally {
      this.#pending.delete(peer);
    }
    if (this.#closed) {
      void peer.close('room_closed');
      throw new RostraError('space_ended', 'The stage of this space is closed.');
    }
    if (peer.state === 'closed') {
      throw new RostraError('invalid_state', `The speaker session closed (${peer.closeReason ?? 'closed'}).`);
    }
    if (this.#tickets.get(userId) !== ticket) {
      void peer.close('replaced');
      throw new RostraError('invalid_state', 'A newer WHIP session of this user replaced this one.');
    }
    this.#install(userId, peer);
    return { sessionId: peer.id, answerSdp };
  }

  /**
   * Closes a user's peer. With `sessionId`, only if it is still that session (a late WHIP DELETE must not end
   * the session that replaced it). Returns whether a peer was closed.
   */
  removeSpeaker(userId: string, reason: SpeakerCloseReason = 'removed', sessionId?: string): boolean {
    const peer = this.#peers.get(userId);
    if (!peer || (sessionId !== undefined && peer.id !== sessionId)) return false;
    void peer.close(reason);
    return true;
  }

  /** Server-side mute of a user, now and across reconnects, until `unmute`. */
  mute(userId: string): void {
    this.#muted.add(userId);
    this.#peers.get(userId)?.setMuted(true);
  }

  unmute(userId: string): void {
    this.#muted.delete(userId);
    this.#peers.get(userId)?.setMuted(false);
  }

  isMuted(userId: string): boolean {
    return this.#muted.has(userId);
  }

  /** StageAudioSink: one Opus frame for one speaker. Dropped when the speaker is not connected. */
  sendToSpeaker(speakerId: string, opus: Uint8Array, rtpTimestamp: number): void {
    this.#peers.get(speakerId)?.send(opus, rtpTimestamp);
  }

  counters(): StageRoomCounters {
    const all = [...this.#peers.values(), ...this.#pending];
    return {
      peers: all.length,
      connectedPeers: all.filter((p) => p.state === 'connected').length,
      timers: all.reduce((n, p) => n + p.activeTimers(), 0),
      listeners: all.reduce((n, p) => n + p.activeListeners(), 0),
    };
  }

  /** Listeners of the room's own events (the audio engine's). */
  listenerCount(): number {
    return this.#events.listenerCount();
  }

  /**
   * Closes every peer (emitting `speakerLeft` for connected ones), then drops the room's listeners.
   * Idempotent; the promise settles when every socket is released.
   */
  close(): Promise<void> {
    if (this.#closed) return this.#closed;
    const peers = [...this.#peers.values(), ...this.#pending];
    const released = peers.map((p) => p.close('room_closed'));
    this.#peers.clear();
    this.#pending.clear();
    this.#tickets.clear();
    this.#muted.clear();
    this.#events.removeAllListeners();
    log.info({ spaceId: this.spaceId, peers: peers.length }, 'stage closed');
    this.#closed = Promise.all(released).then(() => undefined);
    return this.#closed;
  }

  #install(userId: string, peer: SpeakerPeer): void {
    // Close the old session first, so its speakerLeft comes before the new one's speakerJoined.
    void this.#peers.get(userId)?.close('replaced');
    this.#peers.set(userId, peer);
    peer.setMuted(this.#muted.has(userId));
    let joined = false;
    peer.on('connected', () => {
      joined = true;
      this.#events.emit('speakerJoined', userId);
    });
    peer.on('packet', (packet) => this.#events.emit('packet', userId, packet));
    peer.on('closed', (reason) => {
      if (this.#peers.get(userId) === peer) this.#peers.delete(userId);
      log.debug({ spaceId: this.spaceId, userId, reason }, 'speaker peer gone');
      // speakerLeft pairs with speakerJoined: only for a peer that connected.
      if (joined) this.#events.emit('speakerLeft', userId);
    });
  }
}
