export type { OpusPacket, StageAudioEvents, StageAudioSink, StageAudioSource } from './StageAudio.js';
export {
  AUDIO_LEVEL_URI,
  DEFAULT_SDP_OFFER_LIMITS,
  parseSdpOffer,
  type SdpFingerprint,
  type SdpOffer,
  type SdpOfferLimits,
} from './SdpOffer.js';
export { SpeakerPeer } from './SpeakerPeer.js';
export { StageRoom } from './StageRoom.js';
export type {
  SpeakerCloseReason,
  SpeakerPeerEvents,
  SpeakerPeerOptions,
  SpeakerPeerState,
  SpeakerPeerStats,
  SpeakerSession,
  StageRoomCounters,
  StageRoomOptions,
} from './StageTypes.js';
export type { IceAddressOptions } from './WeriftIce.js';
