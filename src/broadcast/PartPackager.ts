/**
 * Cuts the encoded mix (20 ms Opus frames, or 1024-sample AAC frames, on a 48 kHz sample clock) into fMP4
 * parts and segments at frame boundaries, keeps the live window's bytes in memory, and updates the LL-HLS
 * playlist model. A part is one `moof`+`mdat` (every Opus or AAC-LC frame decodes on its own, so
 * INDEPENDENT=YES); a segment is its parts concatenated, so the bytes are shared and never re-muxed.
 *
 * Parts sit on a fixed grid of `partSamples` from the first frame: a part holds the frames that START in
 * its grid cell. Opus frames tile the grid exactly; AAC frames (1024 samples) do not, so an AAC part has
 * 23 or 24 frames, but part N of either rendition covers the same half second, under the same MSN.
 *
 * Events fire after the playlist already lists the new part or segment, so a listener (the HTTP layer
 * waking blocked reloads, the recorder) always sees a consistent state.
 */
import { logger } from '../log/Logger.js';
import { TypedEmitter } from '../util/TypedEmitter.js';
import { decideReload, type DeliveryDirectives, type ReloadDecision } from './BlockingReload.js';
import { TIMESCALE, audioFragment, opusInitSegment } from './Fmp4.js';
import {
  LlHlsPlaylist,
  playlistTiming,
  type LlHlsPlaylistOptions,
  type PlaylistPosition,
} from './LlHlsPlaylist.js';

const log = logger('broadcast.packager');

export interface PartPackagerOptions extends LlHlsPlaylistOptions {
  /** Encoder delay (dOps PreSkip), e.g. `StageMixEngine.preSkip`. Unused when `initSegment` is given. */
  preSkip: number;
  /** The init segment of another codec (e.g. `aacInitSegment`). Default: Opus with `preSkip`. */
  initSegment?: Uint8Array;
  /** Wall-clock time (epoch ms) of the first frame, for EXT-X-PROGRAM-DATE-TIME. Default: when it arrives. */
  startedAtMs?: number;
  /** Put the parts on the space's timeline (see `timelineStart`) instead of starting at 0. */
  timeline?: TimelineStart;
  /**
   * Another rendition of the same mix (same options otherwise): this one puts each frame where that one
   * would have, by its sample clock, so part N of both covers the same time. Frames from before that
   * one's first are dropped; a rendition that starts a frame or two later starts its first part late.
   */
  alignTo?: PartPackager;
}

/**
 * Where a space's media starts on the space's timeline (decode times since the space started), so that no
 * part or segment URL ever names two contents across restarts and takeovers.
 */
export interface TimelineStart {
  /** Epoch ms of decode time 0 (the space's start); PDT counts from it. */
  readonly originMs: number;
  /** Decode time (48 kHz) of the first frame. */
  readonly startTime: number;
  /** MSN of the first segment. Frames before `firstMsn` × segment samples are dropped. */
  readonly firstMsn: number;
  /** Decode time of the first frame kept. */
  readonly dropUntil: number;
}

/** One 20 ms Opus frame at 48 kHz. */
const FRAME_SAMPLES = 960;

/**
 * The timeline position for media starting now. A `fresh` space (no media before) starts at MSN 0. Otherwise
 * an earlier owner may have named parts up to now: wait for the next segment boundary of the timeline and
 * number from there (timeline position / segment length), after anything an earlier owner could have named.
 * Every owner's clock follows wall time, so numbers never go back; one part of margin covers clock drift.
 */
export function timelineStart(
  opts: LlHlsPlaylistOptions & { originMs: number; nowMs: number; fresh: boolean },
): TimelineStart {
  const t = playlistTiming(opts);
  const elapsed = Math.max(0, Math.floor(((opts.nowMs - opts.originMs) * TIMESCALE) / 1000));
  const startTime = elapsed - (elapsed % FRAME_SAMPLES);
  if (opts.fresh) return { originMs: opts.originMs, startTime, firstMsn: 0, dropUntil: startTime };
  const firstMsn = Math.ceil((startTime + t.partSamples) / t.segmentSamples);
  return { originMs: opts.originMs, startTime, firstMsn, dropUntil: firstMsn * t.segmentSamples };
}

/** One encoded frame on the mix's sample clock: an `EncodedMixFrame` (`opus`), or any codec's `data`. */
export type PackagerFrame = {
  readonly sampleTime: number;
  readonly durationSamples: number;
} & ({ readonly opus: Uint8Array } | { readonly data: Uint8Array });

export interface PackagedPart {
  readonly msn: number;
  readonly partIndex: number;
  readonly uri: string;
  readonly bytes: Uint8Array;
  /** Seconds. */
  readonly duration: number;
  readonly durationSamples: number;
  /** tfdt: 48 kHz units since the first frame. */
  readonly baseDecodeTime: number;
  readonly independent: true;
}

export interface PackagedSegment {
  readonly msn: number;
  readonly uri: string;
  readonly bytes: Uint8Array;
  readonly duration: number;
  readonly durationSamples: number;
  readonly baseDecodeTime: number;
  readonly programDateTimeMs: number;
  readonly partCount: number;
}

export type PartPackagerEvents = {
  part: (part: PackagedPart) => void;
  segment: (segment: PackagedSegment) => void;
  /** The presentation ended (EXT-X-ENDLIST is in the playlist). */
  end: () => void;
};

export class PartPackager extends TypedEmitter<PartPackagerEvents> {
  /** The init segment (EXT-X-MAP), ready before the first part. */
  readonly initSegment: Buffer;
  readonly playlist: LlHlsPlaylist;
  // Buffers from the start: every request sends these objects as they are, with no copy (api/routes/live.ts).
  readonly #parts = new Map<number, Buffer[]>(); // msn → parts' bytes, for the live window
  readonly #segments = new Map<number, Buffer>(); // msn → concatenated bytes, built on first request
  #pending: PackagerFrame[] = [];
  #origin: number | undefined; // sample clock of decode time 0 (less the timeline's start)
  readonly #alignTo: PartPackager | undefined;
  #aligning = false; // origin taken from #alignTo; the first frame to keep sets #nextTime
  #startedAtMs: number | undefined;
  #nextTime = 0; // decode time (since origin) of the next frame
  #pendingStart = 0; // decode time of the first pending frame
  #segmentStart = 0;
  #partEnd = 0; // the grid line that closes the part in progress
  #sequenceNumber = 1;
  /** Frames before this decode time are dropped (a takeover waits for a segment boundary). */
  #dropUntil = 0;
  #closed = false;

  constructor(opts: PartPackagerOptions) {
    super();
    const tl = opts.timeline;
    this.playlist = new LlHlsPlaylist(tl ? { ...opts, firstMsn: tl.firstMsn } : opts);
    this.initSegment = asBuffer(opts.initSegment ?? opusInitSegment({ preSkip: opts.preSkip }));
    this.#partEnd = this.playlist.timing.partSamples;
    this.#startedAtMs = opts.startedAtMs;
    this.#alignTo = opts.alignTo;
    if (tl) {
      this.#startedAtMs = tl.originMs;
      this.#nextTime = tl.startTime;
      this.#dropUntil = tl.dropUntil;
      this.#partEnd = tl.dropUntil + this.playlist.timing.partSamples;
    }
  }

  get position(): PlaylistPosition {
    return this.playlist.position;
  }

  /** The blocking-reload decision for a playlist request, against the live edge now. */
  decideReload(directives: Pick<DeliveryDirectives, 'msn' | 'part'>): ReloadDecision {
    return decideReload(this.playlist.position, this.playlist.timing, directives);
  }

  /** Bytes of a part in the live window (also the hinted part, once it exists). */
  part(msn: number, index: number): Buffer | undefined {
    return this.#parts.get(msn)?.[index];
  }

  /** Bytes of a complete segment in the live window. */
  segment(msn: number): Buffer | undefined {
    const cached = this.#segments.get(msn);
    if (cached) return cached;
    const parts = this.#parts.get(msn);
    if (!parts || !this.playlist.segmentMsns().includes(msn)) return undefined;
    const bytes = Buffer.concat(parts);
    this.#segments.set(msn, bytes);
    return bytes;
  }

  push(frame: PackagerFrame): void {
    if (this.#closed || this.playlist.ended) throw new TypeError('packager has ended');
    if (this.#origin === undefined) {
      const leader = this.#alignTo;
      const origin = leader ? leader.#origin : undefined;
      if (leader && origin === undefined) return; // the leader has not started: nothing to align to yet
      this.#aligning = origin !== undefined;
      // The first frame lands where the timeline is now, or where the leading rendition put that sample.
      this.#origin = origin ?? frame.sampleTime - this.#nextTime;
      this.#startedAtMs ??= (leader ? leader.#startedAtMs : undefined) ?? Date.now();
    }
    const time = frame.sampleTime - this.#origin;
    if (this.#aligning) {
      if (time < this.#nextTime) return; // before the leader's first frame
      this.#aligning = false;
      this.#nextTime = time;
      const { partSamples } = this.playlist.timing;
      while (this.#partEnd <= this.#nextTime) this.#partEnd += partSamples;
    }
    if (time < this.#dropUntil) {
      this.#nextTime = time + frame.durationSamples;
      return;
    }
    if (time !== this.#nextTime) {
      // The engine emits a frame for every 20 ms, filling a stalled clock's skipped ticks with encoded
      // silence, so a gap here is a bug upstream; keep the MP4 timeline contiguous.
      log.warn({ expected: this.#nextTime, got: time }, 'frame clock is not contiguous; re-timing');
    }
    if (this.#pending.length === 0) this.#pendingStart = this.#nextTime;
    this.#pending.push(frame);
    this.#nextTime += frame.durationSamples;
    // The next frame would start on or past the grid line: this part is complete.
    if (this.#nextTime >= this.#partEnd) this.#cutPart();
  }

  /** Flushes the last (short) part and segment and ends the playlist with EXT-X-ENDLIST. Idempotent. */
  end(): void {
    if (this.#closed || this.playlist.ended) return;
    if (this.#pending.length > 0) this.#cutPart(true);
    const { lastMsn, partsInProgress } = this.playlist.position;
    const completing = partsInProgress > 0 ? lastMsn + 1 : undefined;
    this.#forget(this.playlist.end());
    if (completing !== undefined) this.#emitSegment(completing);
    this.emit('end');
  }

  /** Idempotent: drops the window's bytes and every listener (does not end the playlist). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#parts.clear();
    this.#segments.clear();
    this.#pending = [];
    this.removeAllListeners();
  }

  #cutPart(final = false): void {
    const frames = this.#pending;
    this.#pending = [];
    const durations = frames.map((f) => f.durationSamples);
    const samples = durations.reduce((a, b) => a + b, 0);
    const bytes = asBuffer(
      audioFragment({
        sequenceNumber: this.#sequenceNumber++,
        baseDecodeTime: this.#pendingStart,
        samples: frames.map((f) => ('data' in f ? f.data : f.opus)),
        durations,
      }),
    );
    const { partSamples } = this.playlist.timing;
    while (this.#partEnd <= this.#nextTime) this.#partEnd += partSamples;
    const startedAt = this.#startedAtMs ?? 0;
    if (this.playlist.position.partsInProgress === 0) this.#segmentStart = this.#pendingStart;
    const pdt = startedAt + (this.#segmentStart / TIMESCALE) * 1000;
    const { msn, index } = this.playlist.addPart(samples, pdt);
    const list = this.#parts.get(msn) ?? [];
    list.push(bytes);
    this.#parts.set(msn, list);
    const completes = index + 1 >= this.playlist.timing.partsPerSegment;
    if (completes && !final) this.#forget(this.playlist.completeSegment());
    this.emit('part', {
      msn,
      partIndex: index,
      uri: this.playlist.uris.part(msn, index),
      bytes,
      duration: samples / TIMESCALE,
      durationSamples: samples,
      baseDecodeTime: this.#pendingStart,
      independent: true,
    });
    if (completes && !final) this.#emitSegment(msn);
  }

  #emitSegment(msn: number): void {
    const bytes = this.segment(msn);
    if (!bytes) return;
    const samples = this.#nextTime - this.#segmentStart; // called right after its last part was cut
    this.emit('segment', {
      msn,
      uri: this.playlist.uris.segment(msn),
      bytes,
      duration: samples / TIMESCALE,
      durationSamples: samples,
      baseDecodeTime: this.#segmentStart,
      programDateTimeMs: (this.#startedAtMs ?? 0) + (this.#segmentStart / TIMESCALE) * 1000,
      partCount: this.#parts.get(msn)?.length ?? 0,
    });
  }

  #forget(msns: number[]): void {
    for (const msn of msns) {
      this.#parts.delete(msn);
      this.#segments.delete(msn);
    }
  }
}

/** A view of the same memory as a Buffer (no copy). */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
