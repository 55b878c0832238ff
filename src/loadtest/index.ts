export { runLoadTest, resolveTarget, MAX_DECODERS, MAX_DURATION_S, MAX_LISTENERS } from './LoadTest.js';
export type { DecodedSample, LoadTestOptions, LoadTestProgress, LoadTestReport } from './LoadTest.js';
export { parseMediaPlaylist, variantUri } from './MediaPlaylist.js';
export type { MediaPlaylist, PartRef } from './MediaPlaylist.js';
export { Counter, DelayHistogram, StallMeter } from './Stats.js';
