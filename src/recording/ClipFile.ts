/**
 * Cutting a clip out of a recording directory (the Opus one, or its `aac/`): the samples of a window of the
 * recorded timeline, as one plain `.m4a` (M4aFile.ts writes it; the sample entry is copied from the
 * recording's own init segment, so the clip's codec configuration is exactly the recording's). No
 * re-encoding and no ffmpeg (a test tool here, not a runtime dependency): the recorded frames are copied.
 *
 * The directory may still be recording: the journal is only read (never recovered or trimmed), and only
 * journaled parts are used; each has its bytes in its segment file before its journal line is written
 * (Recorder.ts), so every byte read here is complete. Cuts fall on codec frames (20 ms Opus, 21.3 ms AAC).
 */
import { open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { TIMESCALE } from '../broadcast/index.js';
import type { Bytes } from '../broadcast/Mp4Boxes.js';
import { m4aFile, readFragments, type AacSamples } from './M4aFile.js';
import { JOURNAL_FILE, foldJournal, parseJournal, type RecordingState } from './RecordingJournal.js';
import { segmentUri } from './ReplayPlaylist.js';

/** What is journaled in a recording directory now; undefined when it has no journal. */
export async function readRecorded(dir: string): Promise<RecordingState | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, JOURNAL_FILE), 'latin1');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const { lines } = parseJournal(text);
  // A segment the journal says was synced is whole; only the one being written (or one cut short by a
  // power loss) needs its real size. A size read before later parts were appended is smaller than their
  // ends: those parts are left out, as if they had not been journaled yet.
  const synced = new Set(lines.flatMap((l) => (l.type === 'segment' ? [l.msn] : [])));
  const sizes = new Map<number, number>();
  for (const line of lines) {
    if (line.type !== 'part' || synced.has(line.msn) || sizes.has(line.msn)) continue;
    sizes.set(line.msn, await sizeOf(join(dir, segmentUri(line.msn))));
  }
  return foldJournal(lines, (msn) => (synced.has(msn) ? Infinity : (sizes.get(msn) ?? 0)));
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0; // journaled parts of it are dropped
    throw err;
  }
}

function typeAt(bytes: Uint8Array, at: number): string {
  return String.fromCharCode(bytes[at + 4] ?? 0, bytes[at + 5] ?? 0, bytes[at + 6] ?? 0, bytes[at + 7] ?? 0);
}

/** The first child box of `path` (e.g. moov/trak/…/stsd) in an init segment, as [offset, size]. */
function findBox(bytes: Uint8Array, path: readonly string[], from = 0, to = bytes.length): [number, number] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const [name, ...rest] = path;
  for (let at = from; at + 8 <= to;) {
    const size = view.getUint32(at);
    if (size < 8 || at + size > to) break;
    if (typeAt(bytes, at) === name) {
      if (rest.length === 0) return [at, size];
      return findBox(bytes, rest, at + 8, at + size);
    }
    at += size;
  }
  throw new TypeError(`the init segment has no ${path.join('/')}`);
}

/** The sample entry (`Opus` or `mp4a` with its configuration box) of an init segment written by Fmp4.ts. */
export function sampleEntryOf(init: Uint8Array): { entry: Bytes; format: string } {
  const [stsd, size] = findBox(init, ['moov', 'trak', 'mdia', 'minf', 'stbl', 'stsd']);
  // stsd = header(8) + version/flags(4) + entry_count(4) + the entries
  const view = new DataView(init.buffer, init.byteOffset, init.byteLength);
  const at = stsd + 16;
  const entrySize = view.getUint32(at);
  if (at + entrySize > stsd + size) throw new TypeError('malformed stsd');
  return { entry: init.slice(at, at + entrySize), format: typeAt(init, at) };
}

export interface CutClip {
  readonly bytes: Bytes;
  readonly codec: 'aac' | 'opus';
  /** The window actually cut, in seconds of the recording's timeline (on frame boundaries). */
  readonly startSeconds: number;
  readonly endSeconds: number;
}

/**
 * The clip of `[startSeconds, endSeconds)` of the recording in `dir` (whose journal `state` describes):
 * every frame that sounds inside the window (so up to a frame more at its start). A window that crosses a change of init segment (a resumed
 * recording whose encoder changed) stops at the change, so the file has one codec configuration.
 */
export async function cutClip(
  dir: string,
  state: RecordingState,
  startSeconds: number,
  endSeconds: number,
): Promise<CutClip> {
  const start = Math.round(startSeconds * TIMESCALE);
  const end = Math.round(endSeconds * TIMESCALE);
  const samples: AacSamples = { sizes: [], durations: [], data: [] };
  let init: string | undefined;
  let first: number | undefined;
  let at = 0; // the timeline position of the next part
  const files = new Map<number, Awaited<ReturnType<typeof open>>>();
  try {
    outer: for (const session of state.sessions) {
      for (const seg of session.segments) {
        for (const part of seg.parts) {
          const partStart = at;
          at += part.samples;
          if (at <= start) continue;
          if (partStart >= end) break outer;
          if (init !== undefined && session.init !== init) break outer;
          init = session.init;
          let handle = files.get(seg.msn);
          if (!handle) {
            handle = await open(join(dir, segmentUri(seg.msn)), 'r');
            files.set(seg.msn, handle);
          }
          const bytes = new Uint8Array(part.bytes);
          const { bytesRead } = await handle.read(bytes, 0, part.bytes, part.end - part.bytes);
          if (bytesRead !== part.bytes) throw new TypeError(`seg${seg.msn} is shorter than its journal`);
          const got: AacSamples = { sizes: [], durations: [], data: [] };
          readFragments(bytes, got);
          let t = partStart;
          got.sizes.forEach((size, i) => {
            const duration = got.durations[i] ?? 0;
            // Every frame that sounds inside the window: a clip is never a frame short of what was asked.
            if (t + duration > start && t < end) {
              first ??= t;
              samples.sizes.push(size);
              samples.durations.push(duration);
              samples.data.push(got.data[i] as Uint8Array);
            }
            t += duration;
          });
        }
      }
    }
  } finally {
    await Promise.all([...files.values()].map((h) => h.close()));
  }
  if (init === undefined || first === undefined || samples.sizes.length === 0) {
    throw new RangeError('no recorded audio in that window');
  }
  const { entry, format } = sampleEntryOf(await readFile(join(dir, init)));
  const codec = format === 'mp4a' ? 'aac' : 'opus';
  const total = samples.durations.reduce((a, b) => a + b, 0);
  const bytesTotal = samples.sizes.reduce((a, b) => a + b, 0);
  const bitrate = Math.max(1, Math.round((bytesTotal * 8 * TIMESCALE) / Math.max(total, 1)));
  const brands =
    codec === 'aac' ? ['M4A ', 'M4A ', 'mp42', 'isom'] : ['isom', 'isom', 'iso6', 'mp41', 'Opus'];
  return {
    bytes: m4aFile(samples, bitrate, { sampleEntry: entry, brands }),
    codec,
    startSeconds: first / TIMESCALE,
    endSeconds: (first + total) / TIMESCALE,
  };
}
