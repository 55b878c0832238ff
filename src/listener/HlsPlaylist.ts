/**
 * The one HLS playlist reader, for every headless player here (`rostra listen`, the load test's simulated
 * listeners, tests): the multivariant's first variant, and a media playlist's segments, parts (EXT-X-PART
 * before their segment's EXTINF, or trailing for the segment in progress), PRELOAD-HINT, server control,
 * delta updates (EXT-X-SKIP) and program date times.
 *
 * Why not the `hls-parser` package (0.16.1, tried on Rostra's playlists): it reads these tags, but it is
 * ~3x slower per parse (the load test parses one playlist per blocking reload per simulated listener), it
 * prints a console error on every parse of a playlist that keeps parts past three target durations (or
 * throws in strict mode), it files the EXT-X-MAP of the segment in progress as its encryption key (an
 * argument slip in its trailing-parts path), and it gives that segment no date-time, so part times would
 * still need the arithmetic below.
 */

/** Where a part sits: its media sequence number and its index within that segment. */
export interface PartPosition {
  readonly msn: number;
  readonly index: number;
}

export interface PartRef extends PartPosition {
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
  /** The part named in EXT-X-PRELOAD-HINT, at the position after the last listed part. */
  readonly preloadHint: (PartPosition & { readonly uri: string }) | undefined;
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

/**
 * The URI of the variant a listener here decodes (or undefined if `text` is a media playlist): the first
 * Opus one, since Rostra lists its AAC-LC rendition first for Safari; else the first variant.
 */
export function firstVariant(text: string): string | undefined {
  const all = lines(text);
  const variants = all.filter((l) => l.startsWith('#EXT-X-STREAM-INF:'));
  const chosen = variants.find((l) => /CODECS="[^"]*opus/.test(l)) ?? variants[0];
  const i = chosen === undefined ? -1 : all.indexOf(chosen);
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
  let hintUri: string | undefined;
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
        if (a.get('TYPE') === 'PART') hintUri = a.get('URI');
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
  // The hinted part is the next one: after the trailing parts, or the first of the next segment.
  const preloadHint = hintUri === undefined ? undefined : { uri: hintUri, msn: msn(), index: parts.length };
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

/** Orders part positions: negative when a comes before b. */
export function comparePos(a: PartPosition, b: PartPosition): number {
  return a.msn !== b.msn ? a.msn - b.msn : a.index - b.index;
}

/** When a part's last sample existed (epoch ms, origin clock): its PDT plus its duration; NaN without PDT. */
export function partEndMs(part: PartRef): number {
  return part.pdtMs === undefined ? Number.NaN : part.pdtMs + part.duration * 1000;
}
