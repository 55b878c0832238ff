/**
 * The live window of one space's LL-HLS media playlist (RFC 8216bis), and its rendering.
 * Segments are made of parts; the newest segment may be in progress (parts only). The model is mutated
 * by the PartPackager and rendered per request: full, as a delta update (`_HLS_skip=YES`), or ended.
 * Durations are kept in 48 kHz samples so that sums are exact.
 */
import { gzipSync } from 'node:zlib';
import { TIMESCALE } from './Fmp4.js';

export interface PlaylistUris {
  /** The init segment (`EXT-X-MAP`). Default `init.mp4`. */
  readonly init: string;
  /** Default `seg<msn>.m4s`. */
  segment(msn: number): string;
  /** Default `part<msn>.<index>.m4s`. */
  part(msn: number, index: number): string;
}

export const DEFAULT_URIS: PlaylistUris = {
  init: 'init.mp4',
  segment: (msn) => `seg${msn}.m4s`,
  part: (msn, index) => `part${msn}.${index}.m4s`,
};

export interface LlHlsPlaylistOptions {
  /** Part target duration in seconds, 0.2..1 and a multiple of 20 ms. Default 0.5. */
  partTargetS?: number;
  /** Segment duration in seconds, rounded to a whole number of parts. Default 4. */
  segmentTargetS?: number;
  /** Complete segments kept in the playlist. Default 10 (40 s, so delta updates can skip). */
  windowSegments?: number;
  uris?: PlaylistUris;
  /**
   * The codec's frame length in 48 kHz samples (Opus 960, AAC 1024). A part holds the frames that start in
   * its grid cell, so with frames that do not divide the part (AAC) it may run up to a frame past the grid:
   * PART-TARGET and PART-HOLD-BACK are declared to cover that. Default 960.
   */
  frameSamples?: number;
  /** MSN of the first segment. Default 0; a node taking a space over continues after the last one. */
  firstMsn?: number;
}

/** The settled form of the options, derived once. */
export interface PlaylistTiming {
  readonly partTargetS: number;
  readonly partSamples: number;
  readonly partsPerSegment: number;
  readonly segmentSamples: number;
  /** EXT-X-TARGETDURATION: whole seconds, ≥ every segment's rounded duration. */
  readonly targetDurationS: number;
  /**
   * PART-HOLD-BACK: two part targets, the spec's MUST (RFC 8216bis 4.4.3.8; three is its SHOULD). hls.js
   * plays this far behind the live edge, so each part target held back adds a part to every listener's
   * delay; blocking reloads hand a part over the moment it exists, so two keep the player fed
   * (bench/delay.bench.ts measures stalls on a lossy 150 ms link).
   */
  readonly partHoldBackS: number;
  /** CAN-SKIP-UNTIL: six target durations (the spec's minimum). */
  readonly canSkipUntilS: number;
  readonly windowSegments: number;
}

export function playlistTiming(opts: LlHlsPlaylistOptions = {}): PlaylistTiming {
  const partTargetS = opts.partTargetS ?? 0.5;
  const partMs = Math.round(partTargetS * 1000);
  if (partMs < 200 || partMs > 1000 || partMs % 20 !== 0 || Math.abs(partMs - partTargetS * 1000) > 1e-6) {
    throw new TypeError(`partTargetS must be 0.2..1 s in steps of 20 ms, got ${partTargetS}`);
  }
  const partSamples = (partMs * TIMESCALE) / 1000;
  const frameSamples = opts.frameSamples ?? 960;
  if (!Number.isInteger(frameSamples) || frameSamples < 1 || frameSamples > partSamples) {
    throw new TypeError(`frameSamples must be a whole number of samples up to a part, got ${frameSamples}`);
  }
  const longestPart = Math.ceil(partSamples / frameSamples) * frameSamples;
  const partsPerSegment = Math.max(1, Math.round((opts.segmentTargetS ?? 4) / partTargetS));
  const segmentSamples = partSamples * partsPerSegment;
  const targetDurationS = Math.max(1, Math.round(segmentSamples / TIMESCALE));
  const windowSegments = opts.windowSegments ?? 10;
  // RFC 8216bis 6.2.2: a live playlist must not get shorter than three target durations.
  if (
    !Number.isInteger(windowSegments) ||
    windowSegments * segmentSamples < 3 * targetDurationS * TIMESCALE
  ) {
    throw new TypeError(`windowSegments ${windowSegments} keeps less than 3 target durations`);
  }
  return {
    partTargetS: longestPart / TIMESCALE,
    partSamples,
    partsPerSegment,
    segmentSamples,
    targetDurationS,
    partHoldBackS: (2 * longestPart) / TIMESCALE,
    canSkipUntilS: 6 * targetDurationS,
    windowSegments,
  };
}

interface PartEntry {
  readonly samples: number;
  readonly independent: boolean;
}

interface SegmentEntry {
  readonly msn: number;
  readonly parts: PartEntry[];
  samples: number;
  /** Wall-clock time of the first sample (epoch ms), for EXT-X-PROGRAM-DATE-TIME. */
  readonly programDateTimeMs: number;
}

/** Where the live edge is: what blocking reload decisions are made against. */
export interface PlaylistPosition {
  /** MSN of the last complete segment; -1 before the first one completes. */
  readonly lastMsn: number;
  /** Parts published so far in the segment in progress (MSN lastMsn + 1). */
  readonly partsInProgress: number;
  readonly ended: boolean;
}

export interface RenderOptions {
  /** `_HLS_skip=YES`: render a delta update (ignored once ended, as the spec requires). */
  readonly skip?: boolean;
}

export interface BytesOptions extends RenderOptions {
  /** The gzip-compressed body, for a client that accepts it. */
  readonly gzip?: boolean;
}

/** One rendering, kept until the playlist changes, with its bytes made once for every request. */
interface Rendering {
  readonly text: string;
  readonly body: Buffer;
  gzipped?: Buffer;
}

export class LlHlsPlaylist {
  readonly timing: PlaylistTiming;
  readonly uris: PlaylistUris;
  #segments: SegmentEntry[] = []; // complete, oldest first
  #current: SegmentEntry | undefined; // in progress
  #nextMsn = 0;
  #ended = false;
  /**
   * The last rendering, full and delta, until the playlist changes: a crowd's blocking reloads all
   * wake on the same part, and each would otherwise render (and encode, and compress) the same text.
   */
  #rendered: { full?: Rendering; delta?: Rendering } = {};

  constructor(opts: LlHlsPlaylistOptions = {}) {
    this.timing = playlistTiming(opts);
    this.uris = opts.uris ?? DEFAULT_URIS;
    this.#nextMsn = opts.firstMsn ?? 0;
  }

  get position(): PlaylistPosition {
    return {
      lastMsn: this.#nextMsn - 1,
      partsInProgress: this.#current?.parts.length ?? 0,
      ended: this.#ended,
    };
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** MSNs of the complete segments in the window, oldest first. */
  segmentMsns(): number[] {
    return this.#segments.map((s) => s.msn);
  }

  /** Appends a part to the segment in progress (starting one if needed); returns its MSN and index. */
  addPart(samples: number, programDateTimeMs: number, independent = true): { msn: number; index: number } {
    if (this.#ended) throw new TypeError('playlist has ended');
    this.#rendered = {};
    if (!this.#current) {
      this.#current = { msn: this.#nextMsn, parts: [], samples: 0, programDateTimeMs };
    }
    this.#current.parts.push({ samples, independent });
    this.#current.samples += samples;
    return { msn: this.#current.msn, index: this.#current.parts.length - 1 };
  }

  /** Completes the segment in progress; returns MSNs dropped from the window (their bytes may go later). */
  completeSegment(): number[] {
    const seg = this.#current;
    if (!seg) return [];
    this.#rendered = {};
    this.#segments.push(seg);
    this.#current = undefined;
    this.#nextMsn = seg.msn + 1;
    const dropped: number[] = [];
    while (this.#segments.length > this.timing.windowSegments)
      dropped.push((this.#segments.shift() as SegmentEntry).msn);
    return dropped;
  }

  /** Ends the presentation (EXT-X-ENDLIST). A partial segment in progress is completed first. */
  end(): number[] {
    const dropped = this.completeSegment();
    this.#ended = true;
    this.#rendered = {};
    return dropped;
  }

  render(opts: RenderOptions = {}): string {
    return this.#rendering(opts).text;
  }

  /**
   * The rendering as the bytes of a response body (gzip-compressed when asked): the same Buffer for
   * every request until the playlist changes, compressed at most once per change.
   */
  bytes(opts: BytesOptions = {}): Buffer {
    const r = this.#rendering(opts);
    if (opts.gzip !== true) return r.body;
    return (r.gzipped ??= gzipSync(r.body));
  }

  #rendering(opts: RenderOptions): Rendering {
    const skip = opts.skip === true && !this.#ended;
    const make = (): Rendering => {
      const text = this.#render(skip);
      return { text, body: Buffer.from(text) };
    };
    if (skip) return (this.#rendered.delta ??= make());
    return (this.#rendered.full ??= make());
  }

  #render(skip: boolean): string {
    const t = this.timing;
    const lines = ['#EXTM3U', '#EXT-X-VERSION:9', `#EXT-X-TARGETDURATION:${t.targetDurationS}`];
    if (!this.#ended) {
      lines.push(
        `#EXT-X-SERVER-CONTROL:CAN-SKIP-UNTIL=${dec(t.canSkipUntilS)},CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=${dec(t.partHoldBackS)}`,
      );
    }
    lines.push(`#EXT-X-PART-INF:PART-TARGET=${dec(t.partTargetS)}`);
    lines.push(`#EXT-X-MEDIA-SEQUENCE:${this.#segments[0]?.msn ?? this.#current?.msn ?? this.#nextMsn}`);
    lines.push(`#EXT-X-MAP:URI="${this.uris.init}"`);

    // Segment i ends `fromEnd[i]` samples before the end of the last complete segment.
    let fromEnd = 0;
    const ends: number[] = [];
    for (let i = this.#segments.length - 1; i >= 0; i--) {
      ends[i] = fromEnd;
      fromEnd += (this.#segments[i] as SegmentEntry).samples;
    }
    const skipUntil = t.canSkipUntilS * TIMESCALE;
    const partsWithin = 3 * t.targetDurationS * TIMESCALE; // 6.2.2: drop EXT-X-PART older than 3 TD
    let skipped = 0;
    if (skip) while (skipped < this.#segments.length && (ends[skipped] as number) > skipUntil) skipped++;
    if (skipped > 0) lines.push(`#EXT-X-SKIP:SKIPPED-SEGMENTS=${skipped}`);

    let first = true;
    for (let i = skipped; i < this.#segments.length; i++) {
      const seg = this.#segments[i] as SegmentEntry;
      if (first) lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(seg.programDateTimeMs).toISOString()}`);
      first = false;
      if ((ends[i] as number) < partsWithin && !this.#ended) this.#pushParts(lines, seg);
      lines.push(`#EXTINF:${dec(seg.samples / TIMESCALE)},`, this.uris.segment(seg.msn));
    }
    if (this.#current && !this.#ended) {
      if (first)
        lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(this.#current.programDateTimeMs).toISOString()}`);
      this.#pushParts(lines, this.#current);
    }
    if (this.#ended) {
      lines.push('#EXT-X-ENDLIST');
    } else {
      const msn = this.#current?.msn ?? this.#nextMsn;
      const index = this.#current?.parts.length ?? 0;
      lines.push(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="${this.uris.part(msn, index)}"`);
    }
    return lines.join('\n') + '\n';
  }

  #pushParts(lines: string[], seg: SegmentEntry): void {
    seg.parts.forEach((part, index) => {
      const independent = part.independent ? ',INDEPENDENT=YES' : '';
      lines.push(
        `#EXT-X-PART:DURATION=${dec(part.samples / TIMESCALE)},URI="${this.uris.part(seg.msn, index)}"${independent}`,
      );
    });
  }
}

export interface VodSegment {
  readonly uri: string;
  readonly durationS: number;
}

export interface VodPlaylistOptions {
  readonly mapUri: string;
  readonly segments: readonly VodSegment[];
  /** Wall-clock time of the first sample (epoch ms), if known. */
  readonly programDateTimeMs?: number;
}

/** A replay (VOD) playlist: every segment, no low-latency tags, EXT-X-ENDLIST. */
export function renderVodPlaylist(opts: VodPlaylistOptions): string {
  const longest = opts.segments.reduce((m, s) => Math.max(m, s.durationS), 0);
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:6', // EXT-X-MAP without I-frames needs 6; nothing here needs more
    `#EXT-X-TARGETDURATION:${Math.max(1, Math.round(longest))}`,
    '#EXT-X-PLAYLIST-TYPE:VOD',
    '#EXT-X-MEDIA-SEQUENCE:0',
    `#EXT-X-MAP:URI="${opts.mapUri}"`,
  ];
  if (opts.programDateTimeMs !== undefined) {
    lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(opts.programDateTimeMs).toISOString()}`);
  }
  for (const seg of opts.segments) lines.push(`#EXTINF:${dec(seg.durationS)},`, seg.uri);
  lines.push('#EXT-X-ENDLIST', '');
  return lines.join('\n');
}

export interface MultivariantOptions {
  /** URI of the (Opus) media playlist. */
  readonly mediaUri: string;
  /** Peak bits per second including container overhead. */
  readonly bandwidth: number;
  readonly averageBandwidth?: number;
  /** The AAC-LC rendition, if there is one: its media playlist and peak bits per second. */
  readonly aac?: { readonly mediaUri: string; readonly bandwidth: number };
}

/**
 * The multivariant (master) playlist: audio-only variants in fMP4. With an AAC-LC rendition, it is listed
 * FIRST: Safari's native HLS (every iPhone) starts with the first variant it can play, and AAC-LC is the
 * audio codec Apple lists for HLS, while Opus in MP4 plays only on some Apple devices and versions. hls.js
 * players pick their level themselves (Rostra's keep Opus: smaller and without the AAC encoder's lookahead).
 */
export function renderMultivariantPlaylist(opts: MultivariantOptions): string {
  const average =
    opts.averageBandwidth !== undefined ? `,AVERAGE-BANDWIDTH=${Math.round(opts.averageBandwidth)}` : '';
  const lines = ['#EXTM3U', '#EXT-X-INDEPENDENT-SEGMENTS'];
  if (opts.aac) {
    lines.push(
      `#EXT-X-STREAM-INF:BANDWIDTH=${Math.round(opts.aac.bandwidth)},CODECS="mp4a.40.2"`,
      opts.aac.mediaUri,
    );
  }
  lines.push(
    `#EXT-X-STREAM-INF:BANDWIDTH=${Math.round(opts.bandwidth)}${average},CODECS="opus"`,
    opts.mediaUri,
    '',
  );
  return lines.join('\n');
}

/** Decimal with 3 places: every duration here is a multiple of 20 ms, so this is exact. */
function dec(seconds: number): string {
  return seconds.toFixed(3);
}
