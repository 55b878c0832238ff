// The headless LL-HLS listener behind `rostra listen`: playback, analysis and the pieces tests reuse.
export { LiveListener, type ListenOptions, type ListenReport } from './LiveListener.js';
export {
  AudioAnalyzer,
  DIGITAL_SILENCE_PEAK,
  percentile,
  SILENCE_LIMIT_S,
  type PulseReference,
  type DelayStats,
} from './AudioAnalyzer.js';
export { ListenError, parseListenTarget, type ListenTarget } from './ListenTarget.js';
export {
  StallMeter,
  STALL_TOLERANCE_PARTS,
  type StallCause,
  type StallEvent,
  type StallMeterOptions,
} from './StallMeter.js';
export { PulseOnsets, type PulseOnsetsOptions } from './PulseOnsets.js';
export { Spectrum, type SpectrumPeak } from './Spectrum.js';
export {
  demuxFragments,
  parseOpusInit,
  Fmp4Error,
  type DemuxedFragment,
  type OpusTrackInfo,
} from './Fmp4Demux.js';
export {
  comparePos,
  firstVariant,
  listedParts,
  parseMediaPlaylist,
  partEndMs,
  PlaylistError,
  type MediaPlaylist,
  type PartPosition,
  type PartRef,
  type SegmentRef,
} from './HlsPlaylist.js';
