/**
 * One space's audio on this page: listening over LL-HLS or speaking over WHIP, and the switch between
 * them without a gap. The new path starts first; the old one stops only once the new one plays (or gave
 * up waiting), so a listener who becomes a speaker never hears silence in between.
 */
import { AutoplayBlockedError } from './AudioOutput.js';
import { HlsPlayer } from './HlsPlayer.js';
import { WhipSession } from './WhipSession.js';

export type AudioMode = 'off' | 'listening' | 'speaking';

export interface SpaceAudioEvents {
  mode?: (mode: AudioMode) => void;
  /** A problem worth showing (null clears it). */
  trouble?: (message: string | null) => void;
  /** The browser wants a tap before sound: call resume() from a click. */
  autoplayBlocked?: () => void;
  /** The speaking connection dropped after it had worked. */
  speakFailed?: (message: string) => void;
}

export class SpaceAudio {
  readonly #events: SpaceAudioEvents;
  #hls: HlsPlayer | null = null;
  #hlsUrl: string | null = null;
  #whip: WhipSession | null = null;
  #mic: MediaStream | null = null;
  #mode: AudioMode = 'off';
  #closed = false;

  constructor(events: SpaceAudioEvents = {}) {
    this.#events = events;
  }

  get mode(): AudioMode {
    return this.#mode;
  }

  /** Listens on a playlist; once it plays, any speaking session ends. */
  async listen(playlistUrl: string): Promise<void> {
    if (this.#closed || (this.#hls && this.#hlsUrl === playlistUrl)) return;
    this.#hls?.stop();
    const hls = new HlsPlayer(playlistUrl, {
      live: true,
      onTrouble: (message) => this.#events.trouble?.(message),
    });
    this.#hls = hls;
    this.#hlsUrl = playlistUrl;
    // Sound again after a retry: whatever trouble was shown is over.
    hls.el.addEventListener('playing', () => {
      if (this.#hls === hls) this.#events.trouble?.(null);
    });
    try {
      await hls.start();
    } catch (err) {
      if (err instanceof AutoplayBlockedError) this.#events.autoplayBlocked?.();
      else throw err;
    }
    if (this.#hls !== hls) return;
    this.#closeWhip();
    this.#setMode('listening');
  }

  /** Publishes the mic over WHIP; once the mix-minus plays, listening stops. Throws if refused. */
  async speak(endpoint: string, token: string, mic: MediaStream): Promise<void> {
    if (this.#closed) return;
    this.#closeWhip();
    this.#mic = mic;
    const whip = new WhipSession({
      endpoint,
      token,
      mic,
      onFailed: (reason) => {
        if (this.#whip !== whip) return;
        this.#whip = null;
        this.#setMode(this.#hls ? 'listening' : 'off');
        this.#events.speakFailed?.(reason);
      },
    });
    this.#whip = whip;
    try {
      await whip.start();
    } catch (err) {
      if (this.#whip === whip) this.#whip = null;
      if (err instanceof AutoplayBlockedError) this.#events.autoplayBlocked?.();
      else throw err;
    }
    if (this.#whip !== whip || this.#closed) return;
    this.#stopHls();
    this.#events.trouble?.(null);
    this.#setMode('speaking');
  }

  /** Gives the playing listener player away (to the mini player) without stopping it. */
  releaseListening(): HlsPlayer | null {
    const hls = this.#hls;
    if (!hls || this.#mode !== 'listening') return null;
    this.#hls = null;
    this.#hlsUrl = null;
    this.#setMode('off');
    return hls;
  }

  /** Takes a player that is already playing `playlistUrl` (back from the mini player). */
  adopt(player: HlsPlayer, playlistUrl: string): void {
    if (this.#closed) {
      player.stop();
      return;
    }
    this.#hls?.stop();
    this.#hls = player;
    this.#hlsUrl = playlistUrl;
    this.#setMode('listening');
  }

  /** Stops listening without speaking (the space ended, or the listener left). */
  stopListening(): void {
    this.#stopHls();
    if (!this.#whip) this.#setMode('off');
  }

  /** Sends or withholds the mic locally; the server-side mute is the API's. */
  setMicEnabled(on: boolean): void {
    for (const t of this.#mic?.getAudioTracks() ?? []) t.enabled = on;
  }

  /** From a click: plays what autoplay refused. */
  resume(): void {
    for (const el of [this.#hls?.el, this.#whip?.el]) {
      if (el?.paused) void el.play().catch((err: unknown) => console.warn('audio: still refused', err));
    }
  }

  /** Idempotent: stops everything, mic included. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopHls();
    this.#closeWhip();
    this.#setMode('off');
  }

  #stopHls(): void {
    this.#hls?.stop();
    this.#hls = null;
    this.#hlsUrl = null;
  }

  #closeWhip(): void {
    this.#whip?.close();
    this.#whip = null;
    for (const t of this.#mic?.getTracks() ?? []) t.stop();
    this.#mic = null;
  }

  #setMode(mode: AudioMode): void {
    if (mode === this.#mode) return;
    this.#mode = mode;
    this.#events.mode?.(mode);
  }
}
