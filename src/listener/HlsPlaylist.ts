/**
 * Reading HLS playlists as a low-latency player needs them: the multivariant's first variant, and a media
 * playlist's segments, parts (EXT-X-PART before their segment's EXTINF, or trailing for the segment in
 * progress), PRELOAD-HINT, server control, delta updates (EXT-X-SKIP) and program date times.
 */

export interface PartRef {
  readonly msn: number;
  readonly index: number;
  readonly uri: string;
  /** Seconds. */
  readonly duration: number;
  /** Wall-clock time (epoch ms) of the part's first sample, when the playlist carries PDT. */
  readonly pdtMs: number | undefined;
}

export interface SegmentRef {
  readonly msn: number;
  readonly uri: string;
  readonly duration: number;
  readonly pdtMs: number | undefined;
  /** The parts listed for it (none for segments older than the low-latency window). */
  readonly parts: PartRef[];
}

export interface MediaPlaylist {
  readonly targetDuration: number;
  readonly partTarget: number | undefined;
  readonly partHoldBack: number | undefined;
  readonly canBlockReload: boolean;
  readonly mediaSequence: number;
  readonly map: string | undefined;
  readonly segments: SegmentRef[];
  /** Parts of the segment in progress (MSN after the last complete segment). */
  readonly pendingParts: PartRef[];
  readonly preloadHint: string | undefined;
  readonly endList: boolean;
}

export class PlaylistError extends Error {
  override name = 'PlaylistError';
}

/** `KEY=value,KEY="quoted, value"` → map. */
export function parseAttributes(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /([A-Z0-9-]+)=("[^"]*"|[^,]*)/g;
  for (const m of text.matchAll(re)) {
    const raw = m[2] ?? '';
    out.set(m[1] ?? '', raw.startsWith('"') ? raw.slice(1, -1) : raw);
  }
  return out;
}

function lines(text: string): string[] {
  const all = text.split(/\r?\n/).map((l) => l.trim());
  if (all[0] !== '#EXTM3U') throw new PlaylistError('not an HLS playlist (no #EXTM3U)');
  return all.filter((l) => l !== '');
}

/** The URI of the first variant of a multivariant playlist (or undefined if it is a media playlist). */
export function firstVariant(text: string): string | undefined {
  const all = lines(text);
  const i = all.findIndex((l) => l.startsWith('#EXT-X-STREAM-INF:'));
  if (i < 0) return undefined;
  const uri = all.slice(i + 1).find((l) => !l.startsWith('#'));
  if (!uri) throw new PlaylistError('EXT-X-STREAM-INF without a URI');
  return uri;
}

export function parseMediaPlaylist(text: string): MediaPlaylist {
  let targetDuration = 0;
  let partTarget: number | undefined;
  let partHoldBack: number | undefined;
  let canBlockReload = false;
  let mediaSequence = 0;
  let skipped = 0;
  let map: string | undefined;
  let preloadHint: string | undefined;
  let endList = false;
  const segments: SegmentRef[] = [];
  let parts: PartRef[] = [];
  let nextPdt: number | undefined; // PDT of the segment being read
  let partOffsetMs = 0; // within the segment being read
  let extinf: number | undefined;
  const msn = () => mediaSequence + skipped + segments.length;

  for (const line of lines(text)) {
    const colon = line.indexOf(':');
    const tag = colon < 0 ? line : line.slice(0, colon);
    const value = colon < 0 ? '' : line.slice(colon + 1);
    switch (tag) {
      case '#EXT-X-TARGETDURATION':
        targetDuration = Number(value);
        break;
      case '#EXT-X-PART-INF':
        partTarget = Number(parseAttributes(value).get('PART-TARGET'));
        break;
      case '#EXT-X-SERVER-CONTROL': {
        const a = parseAttributes(value);
        canBlockReload = a.get('CAN-BLOCK-RELOAD') === 'YES';
        if (a.has('PART-HOLD-BACK')) partHoldBack = Number(a.get('PART-HOLD-BACK'));
        break;
      }
      case '#EXT-X-MEDIA-SEQUENCE':
        mediaSequence = Number(value);
        break;
      case '#EXT-X-SKIP':
        skipped = Number(parseAttributes(value).get('SKIPPED-SEGMENTS') ?? 0);
        break;
      case '#EXT-X-MAP':
        map = parseAttributes(value).get('URI');
        break;
      case '#EXT-X-PROGRAM-DATE-TIME': {
        const ms = Date.parse(value);
        if (Number.isFinite(ms)) nextPdt = ms;
        break;
      }
      case '#EXT-X-PART': {
        const a = parseAttributes(value);
        const duration = Number(a.get('DURATION'));
        const uri = a.get('URI');
        if (!uri || !Number.isFinite(duration)) throw new PlaylistError(`bad EXT-X-PART: ${value}`);
        const pdtMs = nextPdt === undefined ? undefined : nextPdt + partOffsetMs;
        parts.push({ msn: msn(), index: parts.length, uri, duration, pdtMs });
        partOffsetMs += duration * 1000;
        break;
      }
      case '#EXTINF':
        extinf = Number(value.split(',')[0]);
        break;
      case '#EXT-X-PRELOAD-HINT': {
        const a = parseAttributes(value);
        if (a.get('TYPE') === 'PART') preloadHint = a.get('URI');
        break;
      }
      case '#EXT-X-ENDLIST':
        endList = true;
        break;
      default:
        if (!line.startsWith('#') && extinf !== undefined) {
          segments.push({ msn: msn(), uri: line, duration: extinf, pdtMs: nextPdt, parts });
          if (nextPdt !== undefined) nextPdt += extinf * 1000;
          parts = [];
          partOffsetMs = 0;
          extinf = undefined;
        }
    }
  }
  if (!(targetDuration > 0)) throw new PlaylistError('no EXT-X-TARGETDURATION');
  return {
    targetDuration,
    partTarget,
    partHoldBack,
    canBlockReload,
    mediaSequence,
    map,
    segments,
    pendingParts: parts,
    preloadHint,
    endList,
  };
}

/** Every part the playlist lists, oldest first. */
export function listedParts(pl: MediaPlaylist): PartRef[] {
  return [...pl.segments.flatMap((s) => s.parts), ...pl.pendingParts];
}
