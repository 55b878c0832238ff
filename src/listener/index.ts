// The headless LL-HLS listener behind `rostra listen`: playback, analysis and the pieces tests reuse.
export { LiveListener, type ListenOptions, type ListenReport } from './LiveListener.js';
export { AudioAnalyzer, percentile, type PulseReference, type DelayStats } from './AudioAnalyzer.js';
export { ListenError, parseListenTarget, type ListenTarget } from './ListenTarget.js';
export { StallMeter, type StallEvent, type StallMeterOptions } from './StallMeter.js';
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
  parseMediaPlaylist,
  firstVariant,
  listedParts,
  type MediaPlaylist,
  type PartRef,
} from './HlsPlaylist.js';
