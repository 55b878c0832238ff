// The broadcast's public surface: Opus fMP4 parts, the LL-HLS live window, and blocking-reload decisions.
export {
  PartPackager,
  timelineStart,
  type TimelineStart,
  type PartPackagerOptions,
  type PartPackagerEvents,
  type PackagerFrame,
  type PackagedPart,
  type PackagedSegment,
} from './PartPackager.js';
export {
  LlHlsPlaylist,
  DEFAULT_URIS,
  playlistTiming,
  renderMultivariantPlaylist,
  renderVodPlaylist,
  type LlHlsPlaylistOptions,
  type PlaylistTiming,
  type PlaylistPosition,
  type PlaylistUris,
  type RenderOptions,
  type BytesOptions,
  type MultivariantOptions,
  type VodPlaylistOptions,
  type VodSegment,
} from './LlHlsPlaylist.js';
export {
  decideReload,
  parseDeliveryDirectives,
  advancePartLimit,
  type DeliveryDirectives,
  type ParsedDirectives,
  type ReloadDecision,
} from './BlockingReload.js';
export { opusInitSegment, opusFragment, TIMESCALE, type OpusTrackConfig, type OpusFragment } from './Fmp4.js';
export {
  aacInitSegment,
  aacSampleEntry,
  movieHeader,
  audioTrack,
  audioFragment,
  aacAudioSpecificConfig,
  type AacTrackConfig,
} from './Fmp4.js';
export { AacRendition, AAC_PLAYLIST, AAC_URIS, type AacRenditionOptions } from './AacRendition.js';
export { carryQueryParam } from './QueryParamUris.js';
