export { FramePacer, type FramePacerOptions, type PacerClock } from './FramePacer.js';
export {
  SpeakerBot,
  SpeakerBotError,
  type BotAudio,
  type SpeakerBotEvents,
  type SpeakerBotOptions,
  type SpeakerBotReport,
} from './SpeakerBot.js';
export {
  PulseDetector,
  ToneDetector,
  detectTones,
  toneAmplitude,
  type DetectedTone,
  type PulseDetectorOptions,
  type ToneDetectorOptions,
} from './ToneDetector.js';
export { ToneGenerator, type PcmSource, type PulseOptions, type ToneOptions } from './ToneGenerator.js';
export { WavFileError, parseWav, readWavFile, toMono, type WavData } from './WavFile.js';
