/**
 * The AAC-LC rendition of one live space: the broadcast mix's PCM → AacEncoder (a worker thread) →
 * a second PartPackager on the same part grid as the Opus one. Part N of both renditions covers the same
 * half second under the same MSN, and both playlists date their segments from the same first sample, so
 * a player can switch between them and the delay stays the same (AAC parts arrive ≤ ~45 ms later: one
 * frame of encoder lookahead, and a part's last frame may end up to 1023 samples past the grid line).
 */
import { AacEncoder, AAC_FRAME_SAMPLES } from '../audio/AacEncoder.js';
import { logger } from '../log/Logger.js';
import { aacInitSegment } from './Fmp4.js';
import type { PlaylistUris } from './LlHlsPlaylist.js';
import { PartPackager, type PartPackagerOptions } from './PartPackager.js';

const log = logger('broadcast.aac');
/** How long the end of a space waits for the encoder's last frames (a hung worker; a busy one drains). */
const FLUSH_DEADLINE_MS = 30_000;

/** The AAC rendition's names beside the Opus ones, under the same /live/{id}/. */
export const AAC_PLAYLIST = 'aac.m3u8';
export const AAC_URIS: PlaylistUris = {
  init: 'aac-init.mp4',
  segment: (msn) => `aac-seg${msn}.m4s`,
  part: (msn, index) => `aac-part${msn}.${index}.m4s`,
};

/** What the rendition needs of the broadcast: the mix's PCM, every frame, contiguous on the sample clock. */
export interface BroadcastPcmSource {
  on(event: 'pcm', listener: (pcm: Int16Array, sampleTime: number) => void): unknown;
  off(event: 'pcm', listener: (pcm: Int16Array, sampleTime: number) => void): unknown;
}

/** The Opus packager's own options (timing, `startedAtMs`, `timeline`), so both renditions share a grid. */
export interface AacRenditionOptions extends Omit<
  PartPackagerOptions,
  'preSkip' | 'initSegment' | 'uris' | 'frameSamples'
> {
  /** Bits per second. Default 48 000. */
  bitrate?: number;
}

export class AacRendition {
  readonly packager: PartPackager;
  readonly bitrate: number;
  readonly #encoder: AacEncoder;
  #source: BroadcastPcmSource | undefined;
  readonly #onPcm = (pcm: Int16Array, sampleTime: number) => this.#encoder.push(pcm, sampleTime);
  #ending: Promise<void> | undefined;
  #closed = false;

  constructor(opts: AacRenditionOptions) {
    this.#encoder = new AacEncoder(opts.bitrate !== undefined ? { bitrate: opts.bitrate } : {});
    this.bitrate = this.#encoder.bitrate;
    const { bitrate: _bitrate, ...playlist } = opts;
    this.packager = new PartPackager({
      ...playlist,
      preSkip: 0,
      initSegment: aacInitSegment({ bitrate: this.bitrate }),
      uris: AAC_URIS,
      frameSamples: AAC_FRAME_SAMPLES,
    });
    this.#encoder.on('frame', (frame) => {
      if (!this.packager.playlist.ended) this.packager.push(frame);
    });
    this.#encoder.on('error', () => this.#detach());
  }

  /** The encoder failed: the playlist stops growing, and the multivariant playlist stops offering it. */
  get failed(): boolean {
    return this.#encoder.failed;
  }

  /** Starts encoding the broadcast's PCM. */
  attach(source: BroadcastPcmSource): void {
    this.#detach();
    this.#source = source;
    source.on('pcm', this.#onPcm);
  }

  /** Feeds one frame of the mix by hand (tests, benches). */
  push(pcm: Int16Array, sampleTime: number): void {
    this.#encoder.push(pcm, sampleTime);
  }

  /** The space ended: encodes what is left, then ends the playlist (EXT-X-ENDLIST). Idempotent. */
  end(): Promise<void> {
    this.#ending ??= (async () => {
      this.#detach();
      // The worker normally drains in milliseconds; one that hangs must not hold up the space's end
      // (and its recording's finish): the playlist ends with what came out.
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, FLUSH_DEADLINE_MS)));
      await Promise.race([this.#encoder.flush(), late]);
      clearTimeout(timer);
      this.packager.end();
      this.#encoder.close();
      log.debug({ parts: this.packager.position }, 'AAC rendition ended');
    })();
    return this.#ending;
  }

  /** Idempotent: stops the encoder's worker and drops the window (does not end the playlist). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#detach();
    this.#encoder.close();
    this.packager.close();
  }

  #detach(): void {
    this.#source?.off('pcm', this.#onPcm);
    this.#source = undefined;
  }
}
