/** The space still playing while the listener browses: its title, pause and play, back to it, close. */
import { useEffect, useState } from 'preact/hooks';
import { nowPlaying, type HandedSession } from '../audio/NowPlaying.js';
import { Icon } from './Icon.js';

export function MiniPlayer() {
  const [session, setSession] = useState<HandedSession | null>(nowPlaying.current);
  const [paused, setPaused] = useState(false);
  useEffect(() => {
    const off = nowPlaying.on(setSession);
    // The space page hands over in its unmount cleanup, which may run after this rendered: catch up.
    setSession(nowPlaying.current);
    return off;
  }, []);
  useEffect(() => {
    const el = session?.player.el;
    if (!el) return;
    const sync = () => setPaused(el.paused);
    sync();
    el.addEventListener('play', sync);
    el.addEventListener('pause', sync);
    return () => {
      el.removeEventListener('play', sync);
      el.removeEventListener('pause', sync);
    };
  }, [session]);
  if (!session) return null;
  const toggle = () => {
    const el = session.player.el;
    if (el.paused) void el.play().catch((err: unknown) => console.warn('mini player: play refused', err));
    else el.pause();
  };
  return (
    <aside class="mini-player" aria-label="Now playing">
      <span class="live-dot" aria-hidden="true" />
      <a class="mini-title" href={`/s/${session.spaceId}`}>
        <span class="visually-hidden">Back to </span>
        {session.title}
      </a>
      <button type="button" class="icon-btn" onClick={toggle} aria-label={paused ? 'Play' : 'Pause'}>
        <Icon name={paused ? 'play' : 'pause'} />
      </button>
      <button type="button" class="icon-btn" onClick={() => nowPlaying.stop()} aria-label="Stop listening">
        <Icon name="close" />
      </button>
    </aside>
  );
}
