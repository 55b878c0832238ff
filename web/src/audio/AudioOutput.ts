/**
 * Hidden <audio> elements the app plays through, tagged with `data-audio` (hls | webrtc | replay) so
 * they can be found (and probed in tests). Playback that autoplay refused is reported, not thrown away.
 */

export type OutputKind = 'hls' | 'webrtc' | 'replay';

export function createAudioElement(kind: OutputKind): HTMLAudioElement {
  const el = document.createElement('audio');
  el.dataset.audio = kind;
  el.autoplay = true;
  el.preload = 'auto';
  el.setAttribute('playsinline', '');
  el.hidden = true;
  document.body.append(el);
  return el;
}

export function removeAudioElement(el: HTMLAudioElement): void {
  el.pause();
  el.srcObject = null;
  el.removeAttribute('src');
  el.load();
  el.remove();
}

/** Thrown when the browser wants a tap before playing sound. */
export class AutoplayBlockedError extends Error {
  constructor() {
    super('The browser needs a tap before it plays sound.');
    this.name = 'AutoplayBlockedError';
  }
}

/** Plays, and resolves once audio is actually playing; times out quietly (resolves false). */
export async function playUntilPlaying(el: HTMLAudioElement, timeoutMs: number): Promise<boolean> {
  const playing = new Promise<boolean>((resolve) => {
    if (!el.paused && el.readyState >= 3) return resolve(true);
    const timer = setTimeout(() => {
      el.removeEventListener('playing', done);
      resolve(false);
    }, timeoutMs);
    function done() {
      clearTimeout(timer);
      resolve(true);
    }
    el.addEventListener('playing', done, { once: true });
  });
  try {
    await el.play();
  } catch (err) {
    if (err instanceof DOMException && err.name === 'NotAllowedError') throw new AutoplayBlockedError();
    // AbortError: a newer load() replaced this play(); 'playing' still tells us when sound starts.
    if (!(err instanceof DOMException && err.name === 'AbortError')) throw err;
  }
  return playing;
}
