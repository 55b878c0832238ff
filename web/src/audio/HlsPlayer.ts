/**
 * Plays an HLS playlist through hls.js: LL-HLS for a live space (Opus in fMP4, ticket in the cookie set
 * by /listen), or VOD for a replay. hls.js loads on first use, so the home page stays light. Live
 * network failures (a playlist that is not there yet, a blip) are retried with backoff until stop().
 */
import type Hls from 'hls.js';
import { createAudioElement, playUntilPlaying, removeAudioElement, type OutputKind } from './AudioOutput.js';
import { catchUpRate } from './liveCatchUp.js';

/** Seconds behind the live target past which the player jumps back to it rather than catch up. */
const MAX_BEHIND_S = 4;
/** Seconds added to the live target per stall: one 0.5 s part, so one stall costs a part, not a second. */
const STALL_BACKOFF_S = 0.5;

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
      // hls.js then plays PART-HOLD-BACK (two parts) behind the live edge. Never liveSyncDuration(Count):
      // either replaces the hold-back with whole segments (hls.js #4212).
      lowLatencyMode: this.#opts.live,
      // 1: hls.js leaves the playback rate alone; this player catches up itself (liveCatchUp.ts), since
      // hls.js only does so with more than 1 s buffered, which the live edge of short parts never has.
      maxLiveSyncPlaybackRate: 1,
      // Each stall moves the target back by this much, up to a target duration (default 1 s a stall).
      liveSyncOnStallIncrease: STALL_BACKOFF_S,
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
    if (this.#opts.live) {
      // Server-to-ear delay: the PROGRAM-DATE-TIME of what plays, against this clock. Kept on the element
      // (data-live-delay-ms, data-stalls; the rendition that plays, hls.js' target latency and how far
      // behind it the player is) for anyone diagnosing a listener's delay, for the benches and the tests.
      let stalls = 0;
      hls.on(HlsClass.Events.ERROR, (_e, data) => {
        if (data.details === HlsClass.ErrorDetails.BUFFER_STALLED_ERROR)
          this.el.dataset.stalls = String(++stalls);
      });
      this.el.addEventListener('timeupdate', () => {
        const playing = hls.playingDate;
        if (playing && !this.el.paused) this.el.dataset.liveDelayMs = String(Date.now() - playing.getTime());
        this.el.dataset.codec = hls.levels[hls.currentLevel]?.audioCodec ?? '';
        const target = hls.targetLatency;
        if (target === null) return;
        const behind = hls.latency - target;
        this.el.dataset.targetLatencyMs = String(Math.round(target * 1000));
        this.el.dataset.behindTargetMs = String(Math.round(behind * 1000));
        // Far behind after stalls (a poor network), catching up at 1.25 × would take too long, and
        // hls.js only jumps back with liveMaxLatencyDuration, which needs liveSyncDuration: jump here.
        const live = hls.liveSyncPosition;
        if (live !== null && behind > MAX_BEHIND_S) {
          this.el.currentTime = live;
          return;
        }
        const buffered = this.el.buffered;
        const ahead = buffered.length > 0 ? buffered.end(buffered.length - 1) - this.el.currentTime : 0;
        const rate = catchUpRate(behind, ahead, this.el.playbackRate);
        if (rate !== this.el.playbackRate) this.el.playbackRate = rate;
      });
    }
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
