/**
 * The recording's append-only journal (`journal.ndjson`): one JSON object per line, written after the data
 * it describes, so every journaled part has its bytes in the segment file. Reading it back tolerates a torn
 * last line (a crash mid-write): that line, and anything after it, is ignored.
 *
 * Lines:
 *  - `session`: a (re)start of recording. The first has n = 0; a later one follows an interruption, and the
 *    replay marks EXT-X-DISCONTINUITY before its first segment.
 *  - `part`: a part appended to `seg<msn>.m4s`; `end` is the file's size after it.
 *  - `segment`: the segment file and the journal were fdatasynced (informational: recovery needs only parts).
 */
import { TIMESCALE } from '../broadcast/index.js';

export type JournalLine =
  | {
      type: 'session';
      /** 0 for the first session, +1 per resume. */
      n: number;
      /** The init segment this session's parts need (EXT-X-MAP). */
      init: string;
      /** Wall-clock time (epoch ms) of the session's first sample, if known. */
      pdt: number | null;
    }
  | { type: 'part'; msn: number; i: number; bytes: number; end: number; samples: number }
  | { type: 'segment'; msn: number };

export const JOURNAL_FILE = 'journal.ndjson';

export function encodeLine(line: JournalLine): string {
  return JSON.stringify(line) + '\n';
}

export interface ParsedJournal {
  readonly lines: JournalLine[];
  /** Byte offset just after each line (so the journal can be cut after any of them). */
  readonly lineEnds: number[];
}

/** Reads whole lines up to the first torn or unreadable one. */
export function parseJournal(text: string): ParsedJournal {
  const lines: JournalLine[] = [];
  const lineEnds: number[] = [];
  let offset = 0;
  for (;;) {
    const nl = text.indexOf('\n', offset);
    if (nl < 0) break; // no newline: a torn last line (or nothing)
    const line = parseLine(text.slice(offset, nl));
    if (!line) break;
    lines.push(line);
    offset = nl + 1;
    lineEnds.push(offset); // read as latin1, so characters are bytes
  }
  return { lines, lineEnds };
}

function parseLine(raw: string): JournalLine | undefined {
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch {
    return undefined; // a torn line that happens to end in a newline byte from a later write
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const o = v as Record<string, unknown>;
  const int = (k: string) => Number.isSafeInteger(o[k]) && (o[k] as number) >= 0;
  if (o.type === 'session' && int('n') && typeof o.init === 'string') {
    const pdt = typeof o.pdt === 'number' ? o.pdt : null;
    return { type: 'session', n: o.n as number, init: o.init, pdt };
  }
  if (o.type === 'part' && ['msn', 'i', 'bytes', 'end', 'samples'].every(int)) {
    const p = o as { msn: number; i: number; bytes: number; end: number; samples: number };
    return { type: 'part', msn: p.msn, i: p.i, bytes: p.bytes, end: p.end, samples: p.samples };
  }
  if (o.type === 'segment' && int('msn')) return { type: 'segment', msn: o.msn as number };
  return undefined;
}

export interface RecordedPart {
  readonly i: number;
  readonly bytes: number;
  readonly end: number;
  readonly samples: number;
}

export interface RecordedSegment {
  readonly msn: number;
  readonly session: number;
  readonly parts: RecordedPart[];
}

export interface RecordedSession {
  readonly n: number;
  readonly init: string;
  readonly pdt: number | null;
  readonly segments: RecordedSegment[];
}

/** What a journal says is on disk, in order. */
export interface RecordingState {
  readonly sessions: RecordedSession[];
  /** Bytes each segment file must have: the end of its last journaled part. */
  readonly segmentBytes: Map<number, number>;
  /** The next MSN to use (after the last journaled segment). */
  readonly nextMsn: number;
  readonly totalParts: number;
  readonly totalSamples: number;
  /** How many leading journal lines the state is built from; any later ones are to be cut off. */
  readonly linesUsed: number;
}

/**
 * Folds journal lines into sessions and segments. `actualBytes(msn)` is a segment file's real size: a part
 * journaled beyond it (possible only after power loss, where unsynced writes to two files are unordered)
 * is dropped with everything after it, so the state never claims bytes that are not there.
 */
export function foldJournal(
  lines: readonly JournalLine[],
  actualBytes?: (msn: number) => number,
): RecordingState {
  const sessions: RecordedSession[] = [];
  const segmentBytes = new Map<number, number>();
  let totalParts = 0;
  let totalSamples = 0;
  let maxMsn = -1;
  let linesUsed = 0;
  for (const line of lines) {
    if (line.type === 'session') {
      linesUsed += 1;
      sessions.push({ n: line.n, init: line.init, pdt: line.pdt, segments: [] });
      continue;
    }
    if (line.type !== 'part') {
      linesUsed += 1;
      continue;
    }
    const session = sessions[sessions.length - 1];
    if (!session) break; // a part before any session: not a journal this code wrote
    if (actualBytes && line.end > actualBytes(line.msn)) break;
    let seg = session.segments[session.segments.length - 1];
    if (!seg || seg.msn !== line.msn) {
      seg = { msn: line.msn, session: session.n, parts: [] };
      session.segments.push(seg);
    }
    seg.parts.push({ i: line.i, bytes: line.bytes, end: line.end, samples: line.samples });
    segmentBytes.set(line.msn, line.end);
    totalParts += 1;
    totalSamples += line.samples;
    maxMsn = Math.max(maxMsn, line.msn);
    linesUsed += 1;
  }
  return { sessions, segmentBytes, nextMsn: maxMsn + 1, totalParts, totalSamples, linesUsed };
}

export function durationSeconds(state: Pick<RecordingState, 'totalSamples'>): number {
  return state.totalSamples / TIMESCALE;
}
