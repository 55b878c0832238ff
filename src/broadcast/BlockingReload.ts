/**
 * LL-HLS delivery directives (RFC 8216bis §6.2.5) as pure functions, so the HTTP layer only parses the
 * query, asks `decideReload`, and either answers, holds the request (re-asking on every new part), or
 * refuses. Rules implemented:
 *  - `_HLS_part` without `_HLS_msn` → 400 (6.2.5.2 MUST).
 *  - with EXT-X-ENDLIST, `_HLS_msn`/`_HLS_part` are ignored → answer now (MUST).
 *  - `_HLS_msn` alone: hold until segment M is complete (MUST).
 *  - `_HLS_msn` + `_HLS_part`: hold until part N of segment M, or anything later, exists (MUST); a part
 *    index past the segment's last part means part 0 of the next segment (MUST).
 *  - `_HLS_msn` > last segment's MSN + 2, or a part more than the Advance Part Limit past the last part
 *    (3 / PART-TARGET parts when PART-TARGET < 1 s, else 3) → 400 (SHOULD).
 *  - a hold that lasts more than three target durations → 503 (SHOULD): `timeoutMs` below.
 */
import type { PlaylistPosition, PlaylistTiming } from './LlHlsPlaylist.js';

export interface DeliveryDirectives {
  readonly msn?: number;
  readonly part?: number;
  readonly skip: boolean;
}

export type ParsedDirectives =
  | { readonly ok: true; readonly directives: DeliveryDirectives }
  | { readonly ok: false; readonly reason: string };

export type ReloadDecision =
  /** Answer now with the current playlist. */
  | { readonly kind: 'respond' }
  /** Hold; call `decideReload` again when the playlist changes; give up with 503 after `timeoutMs`. */
  | { readonly kind: 'wait'; readonly timeoutMs: number }
  /** Answer 400 at once. */
  | { readonly kind: 'bad-request'; readonly reason: string };

const DECIMAL_INTEGER = /^(0|[1-9][0-9]{0,15})$/;

/** Reads `_HLS_msn`, `_HLS_part` and `_HLS_skip` from a query (other parameters are ignored). */
export function parseDeliveryDirectives(query: URLSearchParams | Record<string, unknown>): ParsedDirectives {
  // Once per playlist request: no closure, no spread (the media path's CPU budget is per request).
  const msnText = directive(query, '_HLS_msn');
  const partText = directive(query, '_HLS_part');
  const skipText = directive(query, '_HLS_skip');
  if (msnText !== undefined && !DECIMAL_INTEGER.test(msnText))
    return { ok: false, reason: '_HLS_msn is not a decimal integer' };
  if (partText !== undefined && !DECIMAL_INTEGER.test(partText))
    return { ok: false, reason: '_HLS_part is not a decimal integer' };
  if (partText !== undefined && msnText === undefined)
    return { ok: false, reason: '_HLS_part needs _HLS_msn' };
  if (skipText !== undefined && skipText !== 'YES' && skipText !== 'v2')
    return { ok: false, reason: '_HLS_skip must be YES or v2' };
  const skip = skipText !== undefined;
  if (msnText === undefined) return { ok: true, directives: { skip } };
  const msn = Number(msnText);
  return {
    ok: true,
    directives: partText === undefined ? { msn, skip } : { msn, part: Number(partText), skip },
  };
}

function directive(query: URLSearchParams | Record<string, unknown>, name: string): string | undefined {
  const v = query instanceof URLSearchParams ? query.get(name) : query[name];
  return typeof v === 'string' ? v : undefined;
}

/** The Advance Part Limit of RFC 8216bis 6.2.5.2, in parts. */
export function advancePartLimit(partTargetS: number): number {
  return partTargetS < 1 ? Math.floor(3 / partTargetS) : 3;
}

/** The blocking-reload decision for a request against the playlist as it is now. */
export function decideReload(
  position: PlaylistPosition,
  timing: Pick<PlaylistTiming, 'partsPerSegment' | 'partTargetS' | 'targetDurationS'>,
  directives: Pick<DeliveryDirectives, 'msn' | 'part'>,
): ReloadDecision {
  const { msn, part } = directives;
  if (part !== undefined && msn === undefined)
    return { kind: 'bad-request', reason: '_HLS_part needs _HLS_msn' };
  if (position.ended || msn === undefined) return { kind: 'respond' };
  if (msn > position.lastMsn + 2)
    return { kind: 'bad-request', reason: '_HLS_msn is more than two segments ahead' };
  const wait: ReloadDecision = { kind: 'wait', timeoutMs: 3 * timing.targetDurationS * 1000 };
  if (part === undefined) return position.lastMsn >= msn ? { kind: 'respond' } : wait;

  // Every segment has partsPerSegment parts (the packager cuts them so), which makes a part's position
  // global: msn * partsPerSegment + index. A part index past the last one rolls into the next segment.
  const pps = timing.partsPerSegment;
  const requested = part >= pps ? (msn + 1) * pps : msn * pps + part;
  const newest = (position.lastMsn + 1) * pps + position.partsInProgress - 1;
  if (requested <= newest) return { kind: 'respond' };
  if (requested - newest > advancePartLimit(timing.partTargetS)) {
    return { kind: 'bad-request', reason: '_HLS_part is beyond the Advance Part Limit' };
  }
  return wait;
}
