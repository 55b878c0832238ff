/**
 * How fast a live player plays to get back to its target latency (hls.js' PART-HOLD-BACK plus what stalls
 * added). hls.js' own controller only speeds up with more than 1 s buffered, which a player at the live
 * edge of 0.2 s parts never has: one that started late (a slow first load) stayed ~0.6 s behind its
 * target for good. This one needs only a few parts' worth of buffer, never plays into a stall, and stops
 * just short of the target (hysteresis, so it does not flap).
 */

/** Behind the target by more than this (s): start catching up. */
const START_BEHIND_S = 0.1;
/** Caught up once within this of the target (s). */
const STOP_BEHIND_S = 0.02;
/** Never speed up with less than this buffered ahead (s): the next part may be late. */
const MIN_AHEAD_S = 0.25;
/** Gentle below a second behind (barely heard), firmer beyond (heard as a change of tempo, briefly). */
const NEAR_RATE = 1.1;
const FAR_RATE = 1.25;

/** The playback rate for `behindS` seconds behind the target with `aheadS` buffered, playing at `rate` now. */
export function catchUpRate(behindS: number, aheadS: number, rate: number): number {
  if (!Number.isFinite(behindS) || !Number.isFinite(aheadS) || aheadS < MIN_AHEAD_S) return 1;
  if (behindS > START_BEHIND_S) return behindS > 1 ? FAR_RATE : NEAR_RATE;
  if (behindS > STOP_BEHIND_S && rate > 1) return NEAR_RATE;
  return 1;
}
