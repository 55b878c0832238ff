export {
  failuresOf,
  runLoadTest,
  resolveTarget,
  MAX_DECODERS,
  MAX_DURATION_S,
  MAX_LISTENERS,
} from './LoadTest.js';
export { SILENCE_LIMIT_S } from '../listener/index.js';
export type { DecodedSample, LoadTestOptions, LoadTestProgress, LoadTestReport } from './LoadTest.js';
export { Counter, DelayHistogram } from './Stats.js';
