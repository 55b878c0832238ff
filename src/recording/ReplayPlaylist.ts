/**
 * The replay's VOD playlist, from the journal's sessions. Unlike `renderVodPlaylist` in broadcast/, a
 * recording may have been interrupted and resumed: the first segment of a resumed session gets
 * EXT-X-DISCONTINUITY (the encoder restarted, so the audio is not continuous across it), a fresh
 * EXT-X-PROGRAM-DATE-TIME, and a new EXT-X-MAP if the init segment changed.
 */
import { TIMESCALE } from '../broadcast/index.js';
import type { RecordedSession } from './RecordingJournal.js';

export const segmentUri = (msn: number): string => `seg${msn}.m4s`;

export function renderReplayPlaylist(sessions: readonly RecordedSession[]): string {
  const segments = sessions.flatMap((s) =>
    s.segments.map((seg) => ({ seg, samples: seg.parts.reduce((a, p) => a + p.samples, 0) })),
  );
  const longest = segments.reduce((m, s) => Math.max(m, s.samples / TIMESCALE), 0);
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:6', // EXT-X-MAP without I-frames needs 6
    // 8216bis 4.4.3.1: each EXTINF rounded to the nearest integer must not exceed it.
    `#EXT-X-TARGETDURATION:${Math.max(1, Math.round(longest))}`,
    '#EXT-X-PLAYLIST-TYPE:VOD',
    '#EXT-X-MEDIA-SEQUENCE:0',
    '#EXT-X-INDEPENDENT-SEGMENTS',
  ];
  let map: string | undefined;
  let any = false;
  for (const session of sessions) {
    let first = true;
    let pdt = session.pdt;
    for (const seg of session.segments) {
      if (first && any) lines.push('#EXT-X-DISCONTINUITY');
      if (session.init !== map) {
        map = session.init;
        lines.push(`#EXT-X-MAP:URI="${map}"`);
      }
      if (first && pdt !== null) lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(pdt).toISOString()}`);
      const samples = seg.parts.reduce((a, p) => a + p.samples, 0);
      lines.push(`#EXTINF:${(samples / TIMESCALE).toFixed(3)},`, segmentUri(seg.msn));
      if (pdt !== null) pdt += (samples / TIMESCALE) * 1000;
      first = false;
      any = true;
    }
  }
  lines.push('#EXT-X-ENDLIST', '');
  return lines.join('\n');
}
