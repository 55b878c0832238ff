/**
 * Trimming the start of a replay (the host cuts the small talk before the space began). The files are
 * never rewritten: the trim is an offset kept with the recording's row, and the replay playlists (Opus,
 * AAC) and the `.m4a` are rendered from the journal without the segments before it. The cut falls on the
 * first segment boundary at or after the asked time (segments are ~4 s), because every segment begins
 * with an independent part: no byte ranges, no re-encoding, and what a player gets is the recorded bytes.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TIMESCALE } from '../broadcast/index.js';
import { JOURNAL_FILE, foldJournal, parseJournal, type RecordedSession } from './RecordingJournal.js';
import { renderReplayPlaylist } from './ReplayPlaylist.js';

/** A trimmed replay keeps at least this much (and a trim is asked for in the original's time). */
export const MIN_TRIMMED_SECONDS = 5;

/** The sessions of a finished recording, as its journal has them (read only). */
export async function readRecordedSessions(dir: string): Promise<RecordedSession[]> {
  return foldJournal(parseJournal(await readFile(join(dir, JOURNAL_FILE), 'latin1')).lines).sessions;
}

const segmentSamples = (seg: RecordedSession['segments'][number]) =>
  seg.parts.reduce((a, p) => a + p.samples, 0);

/**
 * The sessions from the first segment that starts at `fromSeconds - toleranceSeconds` or later (the
 * tolerance lets a second rendition, whose boundaries sit a frame apart, cut at the same place).
 * `cutSeconds` is where that segment starts; undefined when no segment starts late enough.
 */
export function trimSessions(
  sessions: readonly RecordedSession[],
  fromSeconds: number,
  toleranceSeconds = 0,
): { sessions: RecordedSession[]; cutSeconds: number } | undefined {
  if (fromSeconds <= 0) return { sessions: [...sessions], cutSeconds: 0 };
  const from = (fromSeconds - toleranceSeconds) * TIMESCALE;
  let at = 0;
  for (const [si, session] of sessions.entries()) {
    let sessionSkipped = 0;
    for (const [gi, seg] of session.segments.entries()) {
      if (at >= from) {
        const pdt = session.pdt === null ? null : session.pdt + (sessionSkipped / TIMESCALE) * 1000;
        return {
          sessions: [{ ...session, pdt, segments: session.segments.slice(gi) }, ...sessions.slice(si + 1)],
          cutSeconds: at / TIMESCALE,
        };
      }
      at += segmentSamples(seg);
      sessionSkipped += segmentSamples(seg);
    }
  }
  return undefined;
}

// Rendered playlists of trimmed replays: a finished recording's journal does not change, so one render
// serves every request (bounded: an old entry goes when the map is full).
const rendered = new Map<string, Promise<string | undefined>>();
const MAX_RENDERED = 100;

/**
 * The VOD playlist of the recording in `dir` from `fromSeconds` (Opus: its stored cut; AAC: the same
 * time, within a frame); undefined when nothing is left.
 */
export function trimmedPlaylist(
  dir: string,
  fromSeconds: number,
  toleranceSeconds = 0,
): Promise<string | undefined> {
  const key = `${dir}\n${fromSeconds}\n${toleranceSeconds}`;
  let text = rendered.get(key);
  if (!text) {
    text = readRecordedSessions(dir).then((sessions) => {
      const trimmed = trimSessions(sessions, fromSeconds, toleranceSeconds);
      return trimmed ? renderReplayPlaylist(trimmed.sessions) : undefined;
    });
    text.catch(() => rendered.delete(key)); // a failed read is retried next time
    if (rendered.size >= MAX_RENDERED) rendered.delete(rendered.keys().next().value as string);
    rendered.set(key, text);
  }
  return text;
}

/** The AAC rendition's boundaries sit within one AAC frame (~21 ms) of the Opus ones. */
export const AAC_CUT_TOLERANCE_SECONDS = 0.1;
