/**
 * The AAC-LC rendition of one live space: the AAC frames of the broadcast mix (encoded beside the mixer,
 * audio/AacEncoder.ts, by the space's stage engine) → a second PartPackager on the same part grid as the
 * Opus one. Part N of both renditions covers the same half second under the same MSN, and both playlists
 * date their segments from the same first sample (the AAC packager takes the Opus one's origin on the mix
 * clock), so a player can switch between them and the delay stays the same (AAC parts arrive ≤ ~45 ms
 * later: one frame of encoder lookahead, and a part's last frame may end up to 1023 samples past the
 * grid line).
 */
import type { AacFrame } from '../audio/AacEncoder.js';
import { AAC_FRAME_SAMPLES } from '../audio/AacEncoder.js';
import { logger } from '../log/Logger.js';
import { aacInitSegment } from './Fmp4.js';
import type { PlaylistUris } from './LlHlsPlaylist.js';
import { PartPackager, type PartPackagerOptions } from './PartPackager.js';

const log = logger('broadcast.aac');

/** The AAC rendition's names beside the Opus ones, under the same /live/{id}/. */
export const AAC_PLAYLIST = 'aac.m3u8';
export const AAC_URIS: PlaylistUris = {
  init: 'aac-init.mp4',
  segment: (msn) => `aac-seg${msn}.m4s`,
  part: (msn, index) => `aac-part${msn}.${index}.m4s`,
};

/** The Opus packager's own options (timing, `startedAtMs`, `timeline`), so both renditions share a grid. */
export interface AacRenditionOptions extends Omit<
  PartPackagerOptions,
  'preSkip' | 'initSegment' | 'uris' | 'frameSamples'
> {
  /** Bits per second (the encoder's: the init segment and the multivariant playlist say it). */
  bitrate: number;
}

export class AacRendition {
  readonly packager: PartPackager;
  readonly bitrate: number;
  #failed = false;

  constructor(opts: AacRenditionOptions) {
    this.bitrate = opts.bitrate;
    const { bitrate: _bitrate, ...playlist } = opts;
    this.packager = new PartPackager({
      ...playlist,
      preSkip: 0,
      initSegment: aacInitSegment({ bitrate: this.bitrate }),
      uris: AAC_URIS,
      frameSamples: AAC_FRAME_SAMPLES,
    });
  }

  /** The encoder failed: the playlist stops growing, and the multivariant playlist stops offering it. */
  get failed(): boolean {
    return this.#failed;
  }

  /** One encoded frame, in order on the mix clock. */
  push(frame: AacFrame): void {
    if (!this.#failed && !this.packager.playlist.ended) this.packager.push(frame);
  }

  fail(err: Error): void {
    if (this.#failed) return;
    this.#failed = true;
    log.error({ err }, 'the AAC encoder failed; the AAC rendition stops');
  }

  /** The space ended and its encoder's last frames are in: ends the playlist (EXT-X-ENDLIST). Idempotent. */
  end(): void {
    this.packager.end();
    log.debug({ parts: this.packager.position }, 'AAC rendition ended');
  }

  /** Idempotent: drops the window (does not end the playlist). */
  close(): void {
    this.packager.close();
  }
}
