/**
 * Plays an HLS playlist through hls.js: LL-HLS for a live space (Opus in fMP4, ticket in the cookie set
 * by /listen), or VOD for a replay. hls.js loads on first use, so the home page stays light. Live
 * network failures (a playlist that is not there yet, a blip) are retried with backoff until stop().
 */
import type Hls from 'hls.js';
import { createAudioElement, playUntilPlaying, removeAudioElement, type OutputKind } from './AudioOutput.js';

export interface HlsPlayerOptions {
  /** Live (low-latency, retried forever) or a replay (VOD, seekable). */
  live: boolean;
  /** Called on failures the player will retry (live) or cannot recover from (replay). */
  onTrouble?: (message: string, fatal: boolean) => void;
}

export class HlsPlayer {
  readonly el: HTMLAudioElement;
  readonly #url: string;
  readonly #opts: HlsPlayerOptions;
  #hls: Hls | null = null;
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #retries = 0;
  #stopped = false;

  constructor(url: string, opts: HlsPlayerOptions) {
    this.#url = url;
    this.#opts = opts;
    const kind: OutputKind = opts.live ? 'hls' : 'replay';
    this.el = createAudioElement(kind);
  }

  /** Loads and plays; resolves true once sound plays, false if it did not start within timeoutMs. */
  async start(timeoutMs = 8000): Promise<boolean> {
    await this.#load();
    if (this.#stopped) return false;
    return playUntilPlaying(this.el, timeoutMs);
  }

  /** Loads without playing (a replay waits for the play button). */
  async load(): Promise<void> {
    await this.#load();
  }

  /** Idempotent: destroys hls.js, removes the element and every timer. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    this.#hls?.destroy();
    this.#hls = null;
    removeAudioElement(this.el);
  }

  async #load(): Promise<void> {
    if (this.#hls || this.#stopped) return;
    const { default: HlsClass } = await import('hls.js');
    if (this.#stopped) return;
    if (!HlsClass.isSupported()) {
      // Safari plays HLS itself; the cookie rides along the same way.
      if (this.el.canPlayType('application/vnd.apple.mpegurl') !== '') {
        this.el.src = this.#url;
        return;
      }
      this.#opts.onTrouble?.('This browser cannot play live audio.', true);
      return;
    }
    const hls = new HlsClass({
      lowLatencyMode: this.#opts.live,
      enableWorker: true,
      backBufferLength: this.#opts.live ? 10 : 60,
    });
    this.#hls = hls;
    hls.on(HlsClass.Events.ERROR, (_e, data) => {
      if (!data.fatal || this.#stopped) return;
      if (data.type === HlsClass.ErrorTypes.MEDIA_ERROR) {
        hls.recoverMediaError();
        return;
      }
      if (!this.#opts.live) {
        this.#opts.onTrouble?.('The recording could not be loaded.', true);
        return;
      }
      this.#opts.onTrouble?.('Reconnecting to the audio…', false);
      this.#retryLater();
    });
    hls.on(HlsClass.Events.FRAG_BUFFERED, () => {
      this.#retries = 0;
    });
    hls.attachMedia(this.el);
    hls.loadSource(this.#url);
  }

  #retryLater(): void {
    clearTimeout(this.#retryTimer);
    const delay = Math.min(10_000, 500 * 2 ** this.#retries++);
    this.#retryTimer = setTimeout(() => {
      if (this.#stopped || !this.#hls) return;
      this.#hls.loadSource(this.#url);
      this.#hls.startLoad();
      void this.el.play().catch((err: unknown) => console.warn('hls: play after retry refused', err));
    }, delay);
  }
}
