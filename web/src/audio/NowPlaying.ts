/**
 * The mini player's session: a listener who leaves a space's page for another page of the app keeps
 * hearing it. The space page hands over its listener ticket and its playing HlsPlayer (the audio element
 * stays in the document, so there is no gap); this module keeps the heartbeat going, and hands both back
 * when the listener opens the space again (the same listener id: counted once). Closing it leaves.
 */
import { isApiError } from '../api/ApiError.js';
import type { Admission } from '../api/types.js';
import { api } from '../lib/api.js';
import { toast } from '../lib/toast.js';
import type { HlsPlayer } from './HlsPlayer.js';

export interface HandedSession {
  spaceId: string;
  title: string;
  admission: Admission;
  ticket: string;
  player: HlsPlayer;
}

type Listener = (s: HandedSession | null) => void;

class NowPlaying {
  #current: HandedSession | null = null;
  #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #listeners = new Set<Listener>();

  get current(): HandedSession | null {
    return this.#current;
  }

  on(l: Listener): () => void {
    this.#listeners.add(l);
    return () => this.#listeners.delete(l);
  }

  /** The space page is going away while its audio plays: keep it. */
  handOff(session: HandedSession): void {
    this.stop();
    this.#current = session;
    this.#schedule(session.admission.heartbeatSeconds);
    this.#emit();
  }

  /** The space page is back: it takes the session (same ticket, same player). */
  takeBack(spaceId: string): HandedSession | null {
    const s = this.#current;
    if (!s || s.spaceId !== spaceId) return null;
    clearTimeout(this.#timer);
    this.#current = null;
    this.#emit();
    return s;
  }

  /** Closes the mini player: stop the sound and stop being counted. Idempotent. */
  stop(): void {
    const s = this.#current;
    if (!s) return;
    clearTimeout(this.#timer);
    this.#current = null;
    s.player.stop();
    void api
      .leave(s.spaceId, s.ticket)
      .catch((err: unknown) => console.warn('mini player: leave failed', err));
    this.#emit();
  }

  #schedule(seconds: number): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#beat(seconds), seconds * 1000);
  }

  async #beat(seconds: number): Promise<void> {
    const s = this.#current;
    if (!s) return;
    try {
      s.ticket = (await api.heartbeat(s.spaceId, s.ticket)).ticket;
      if (this.#current === s) this.#schedule(seconds);
    } catch (err) {
      if (this.#current !== s) return;
      if (
        isApiError(err, 'space_ended') ||
        isApiError(err, 'removed_from_space') ||
        isApiError(err, 'invalid_ticket')
      ) {
        toast(isApiError(err, 'space_ended') ? `“${s.title}” has ended.` : 'The space stopped playing.');
        this.stop();
      } else this.#schedule(Math.min(seconds, 5)); // the server is away: try again soon
    }
  }

  #emit(): void {
    for (const l of [...this.#listeners]) {
      try {
        l(this.#current);
      } catch (err) {
        console.error('now playing listener failed', err);
      }
    }
  }
}

export const nowPlaying = new NowPlaying();
// The page itself goes away: stop being counted.
addEventListener('pagehide', () => nowPlaying.stop());
