/**
 * The stage's contract: options, events and close reasons of SpeakerPeer and StageRoom.
 * The audio engine's side of the contract is StageAudio.ts.
 */
import type { SdpOfferLimits } from './SdpOffer.js';
import type { IceAddressOptions } from './WeriftIce.js';
import type { OpusPacket } from './StageAudio.js';

/** Why a speaker's peer closed. A stable set: the API may show it to clients. */
export type SpeakerCloseReason =
  /** The speaker ended the session (WHIP DELETE). */
  | 'left'
  /** A moderator (or the roster) took them off stage. */
  | 'removed'
  /** A newer WHIP session of the same user took its place. */
  | 'replaced'
  /** The space ended, or its stage was torn down. */
  | 'room_closed'
  /** ICE + DTLS did not connect within `connectTimeoutMs`. */
  | 'connect_timeout'
  /** ICE failed. */
  | 'ice_failed'
  /** ICE worked but DTLS (or SRTP setup) failed. */
  | 'dtls_failed'
  /** werift closed the connection by itself. */
  | 'connection_closed'
  /** Nothing (RTP or RTCP) arrived for `inactivityTimeoutMs`. */
  | 'inactive'
  /** werift could not answer the offer. */
  | 'answer_failed';

export type SpeakerPeerState = 'new' | 'connecting' | 'connected' | 'closed';

export interface SpeakerPeerOptions extends IceAddressOptions {
  /** Time from `answer()` to ICE + DTLS connected before the peer gives up. Default 15 000 ms. */
  readonly connectTimeoutMs?: number;
  /** Once connected, silence (no RTP nor RTCP) after which the peer closes. Default 20 000 ms; 0 = never. */
  readonly inactivityTimeoutMs?: number;
  /** Limits for the offer check. Default DEFAULT_SDP_OFFER_LIMITS. */
  readonly sdpLimits?: Partial<SdpOfferLimits>;
}

export type SpeakerPeerEvents = {
  /** ICE and DTLS are connected: packets may flow both ways. */
  connected: () => void;
  /** An RTP Opus packet from the speaker (never while muted). */
  packet: (packet: OpusPacket) => void;
  /** The peer closed (once). Every timer and listener of its own is gone by then. */
  closed: (reason: SpeakerCloseReason) => void;
};

export interface SpeakerPeerStats {
  readonly packetsReceived: number;
  /** Received while muted, or not Opus: not emitted. */
  readonly packetsDropped: number;
  readonly packetsSent: number;
  /** `send()` calls refused because the peer was not connected (or the client does not receive). */
  readonly sendsRefused: number;
  /** Last RFC 6464 level seen (-dBov, 0 loudest .. 127 silence), if the client sends it. */
  readonly lastAudioLevel: number | undefined;
}

export interface StageRoomOptions extends SpeakerPeerOptions {
  /** Most peers at once (host + co-hosts + speakers). Default 13. A replacement does not count twice. */
  readonly maxSpeakers?: number;
}

/** What `StageRoom.addSpeaker` gives the WHIP route. */
export interface SpeakerSession {
  /** Random, URL-safe: the last segment of the WHIP resource `Location`. */
  readonly sessionId: string;
  /** The complete SDP answer (candidates included; no trickle needed). */
  readonly answerSdp: string;
}

/** Live resources, for leak tests and metrics. */
export interface StageRoomCounters {
  readonly peers: number;
  readonly connectedPeers: number;
  /** Timers armed by the room's peers. */
  readonly timers: number;
  /** Listeners held by the room's peers (werift subscriptions + their own emitters). */
  readonly listeners: number;
}
