/**
 * The little of an LL-HLS media playlist a simulated listener needs: each part's position, URI and
 * publish time, the preload hint and the part target. Publish time of a part = the program date-time of
 * its segment + the durations before it + its own duration (the moment its last sample existed), all on
 * the origin's clock. Handles delta updates (`EXT-X-SKIP`).
 */

export interface PartRef {
  readonly msn: number;
  readonly index: number;
  readonly uri: string;
  readonly durationS: number;
  /** Epoch ms at which the part's last sample existed; NaN without EXT-X-PROGRAM-DATE-TIME. */
  readonly publishedMs: number;
}

export interface MediaPlaylist {
  readonly partTargetS: number;
  readonly parts: readonly PartRef[];
  /** Position of the part named in EXT-X-PRELOAD-HINT, if any. */
  readonly hint: { msn: number; index: number } | undefined;
  readonly ended: boolean;
}

const attr = (line: string, name: string): string | undefined => {
  const m = new RegExp(`(?:^|[:,])${name}=("[^"]*"|[^,]*)`).exec(line);
  return m?.[1]?.replace(/^"|"$/g, '');
};

/** Parses the numbers of `part<msn>.<index>.m4s`-style names; the playlist order is the fallback. */
const PART_NAME = /(\d+)\.(\d+)\.[a-z0-9]+(?:\?.*)?$/i;

export function parseMediaPlaylist(text: string): MediaPlaylist {
  let partTargetS = Number.NaN;
  let msn = 0;
  let index = 0;
  let segStartMs = Number.NaN;
  let partEndMs = Number.NaN;
  let hint: MediaPlaylist['hint'];
  let ended = false;
  const parts: PartRef[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line.startsWith('#EXT-X-PART-INF:')) partTargetS = Number(attr(line, 'PART-TARGET'));
    else if (line.startsWith('#EXT-X-MEDIA-SEQUENCE:')) msn = Number(line.slice(22));
    else if (line.startsWith('#EXT-X-SKIP:')) msn += Number(attr(line, 'SKIPPED-SEGMENTS') ?? 0);
    else if (line.startsWith('#EXT-X-PROGRAM-DATE-TIME:')) {
      segStartMs = Date.parse(line.slice(25));
      partEndMs = segStartMs;
    } else if (line.startsWith('#EXT-X-PART:')) {
      const uri = attr(line, 'URI') ?? '';
      const durationS = Number(attr(line, 'DURATION'));
      partEndMs += durationS * 1000;
      const named = PART_NAME.exec(uri);
      const m = named ? Number(named[1]) : msn;
      const i = named ? Number(named[2]) : index;
      parts.push({ msn: m, index: i, uri, durationS, publishedMs: partEndMs });
      index++;
    } else if (line.startsWith('#EXTINF:')) {
      segStartMs += Number.parseFloat(line.slice(8)) * 1000;
      partEndMs = segStartMs;
    } else if (line.length > 0 && !line.startsWith('#')) {
      // A segment URI closes its segment.
      msn++;
      index = 0;
    } else if (line.startsWith('#EXT-X-PRELOAD-HINT:') && attr(line, 'TYPE') === 'PART') {
      const named = PART_NAME.exec(attr(line, 'URI') ?? '');
      hint = named ? { msn: Number(named[1]), index: Number(named[2]) } : { msn, index };
    } else if (line === '#EXT-X-ENDLIST') ended = true;
  }
  return { partTargetS, parts, hint, ended };
}

/** The first URI of a multivariant playlist, or undefined when `text` is already a media playlist. */
export function variantUri(text: string): string | undefined {
  if (!text.includes('#EXT-X-STREAM-INF')) return undefined;
  const lines = text.split('\n').map((l) => l.trim());
  const at = lines.findIndex((l) => l.startsWith('#EXT-X-STREAM-INF'));
  return lines.slice(at + 1).find((l) => l.length > 0 && !l.startsWith('#'));
}

/** Orders part positions: negative when a comes before b. */
export const comparePos = (a: { msn: number; index: number }, b: { msn: number; index: number }) =>
  a.msn !== b.msn ? a.msn - b.msn : a.index - b.index;
