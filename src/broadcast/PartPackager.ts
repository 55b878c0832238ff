/**
 * Cuts the encoded mix (20 ms Opus frames on a 48 kHz sample clock) into fMP4 parts and segments at exact
 * frame boundaries, keeps the live window's bytes in memory, and updates the LL-HLS playlist model.
 * A part is one `moof`+`mdat` (every Opus frame is independently decodable, so INDEPENDENT=YES); a segment
 * is its parts concatenated, so the bytes are shared and never re-muxed.
 *
 * Events fire after the playlist already lists the new part or segment, so a listener (the HTTP layer
 * waking blocked reloads, the recorder) always sees a consistent state.
 */
import { logger } from '../log/Logger.js';
import { TypedEmitter } from '../util/TypedEmitter.js';
import { decideReload, type DeliveryDirectives, type ReloadDecision } from './BlockingReload.js';
import { TIMESCALE, opusFragment, opusInitSegment } from './Fmp4.js';
import { concat } from './Mp4Boxes.js';
import { LlHlsPlaylist, type LlHlsPlaylistOptions, type PlaylistPosition } from './LlHlsPlaylist.js';

const log = logger('broadcast.packager');

export interface PartPackagerOptions extends LlHlsPlaylistOptions {
  /** Encoder delay (dOps PreSkip), e.g. `StageMixEngine.preSkip`. */
  preSkip: number;
  /** Wall-clock time (epoch ms) of the first frame, for EXT-X-PROGRAM-DATE-TIME. Default: when it arrives. */
  startedAtMs?: number;
}

/** One encoded frame on the mix's sample clock (an `EncodedMixFrame` fits). */
export interface PackagerFrame {
  readonly opus: Uint8Array;
  readonly sampleTime: number;
  readonly durationSamples: number;
}

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
  readonly initSegment: Uint8Array;
  readonly playlist: LlHlsPlaylist;
  readonly #parts = new Map<number, Uint8Array[]>(); // msn → parts' bytes, for the live window
  readonly #segments = new Map<number, Uint8Array>(); // msn → concatenated bytes, built on first request
  #pending: PackagerFrame[] = [];
  #origin: number | undefined; // sample clock of the first frame
  #startedAtMs: number | undefined;
  #nextTime = 0; // decode time (since origin) of the next frame
  #pendingStart = 0; // decode time of the first pending frame
  #segmentStart = 0;
  #sequenceNumber = 1;
  #closed = false;

  constructor(opts: PartPackagerOptions) {
    super();
    this.playlist = new LlHlsPlaylist(opts);
    this.initSegment = opusInitSegment({ preSkip: opts.preSkip });
    this.#startedAtMs = opts.startedAtMs;
  }

  get position(): PlaylistPosition {
    return this.playlist.position;
  }

  /** The blocking-reload decision for a playlist request, against the live edge now. */
  decideReload(directives: Pick<DeliveryDirectives, 'msn' | 'part'>): ReloadDecision {
    return decideReload(this.playlist.position, this.playlist.timing, directives);
  }

  /** Bytes of a part in the live window (also the hinted part, once it exists). */
  part(msn: number, index: number): Uint8Array | undefined {
    return this.#parts.get(msn)?.[index];
  }

  /** Bytes of a complete segment in the live window. */
  segment(msn: number): Uint8Array | undefined {
    const cached = this.#segments.get(msn);
    if (cached) return cached;
    const parts = this.#parts.get(msn);
    if (!parts || !this.playlist.segmentMsns().includes(msn)) return undefined;
    const bytes = concat(parts);
    this.#segments.set(msn, bytes);
    return bytes;
  }

  push(frame: PackagerFrame): void {
    if (this.#closed || this.playlist.ended) throw new TypeError('packager has ended');
    if (this.#origin === undefined) {
      this.#origin = frame.sampleTime;
      this.#startedAtMs ??= Date.now();
    }
    const time = frame.sampleTime - this.#origin;
    if (time !== this.#nextTime) {
      // The mixer's clock never skips, so this is a bug upstream; keep the MP4 timeline contiguous.
      log.warn({ expected: this.#nextTime, got: time }, 'frame clock is not contiguous; re-timing');
    }
    if (this.#pending.length === 0) this.#pendingStart = this.#nextTime;
    this.#pending.push(frame);
    this.#nextTime += frame.durationSamples;
    if (this.#nextTime - this.#pendingStart >= this.playlist.timing.partSamples) this.#cutPart();
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
    const bytes = opusFragment({
      sequenceNumber: this.#sequenceNumber++,
      baseDecodeTime: this.#pendingStart,
      samples: frames.map((f) => f.opus),
      durations,
    });
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
