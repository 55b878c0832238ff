// The audio engine's public surface: mix-minus for the stage, the encoded total for the broadcast.
export {
  StageMixEngine,
  type StageMixEngineOptions,
  type StageMixEngineEvents,
  type EncodedMixFrame,
  type FrameEncoder,
} from './StageMixEngine.js';
export {
  Mixer,
  SILENCE_DB,
  WALL_CLOCK,
  rmsDbfs,
  type MixerClock,
  type MixerOptions,
  type MixerEvents,
  type MixFrame,
} from './Mixer.js';
export { SpeakerSource, type FrameSource, type SpeakerSourceOptions } from './SpeakerSource.js';
export {
  JitterBuffer,
  type JitterBufferOptions,
  type JitterSlot,
  type JitterStats,
  type PushResult,
} from './JitterBuffer.js';
export { SoftLimiter, type SoftLimiterOptions } from './SoftLimiter.js';
export {
  SpeakingDetector,
  type SpeakingDetectorOptions,
  type SpeakingDetectorEvents,
} from './SpeakingDetector.js';
export {
  OpusFrameEncoder,
  OpusFrameDecoder,
  opusPacketSamples,
  SAMPLE_RATE,
  FRAME_MS,
  FRAME_SAMPLES,
  type OpusEncoderOptions,
} from './OpusCodec.js';
