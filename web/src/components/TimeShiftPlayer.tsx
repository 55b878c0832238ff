/**
 * Time-shift: a late listener plays the space from its beginning (the recording so far, an EVENT
 * playlist that grows), skips ±15 s, and jumps back to live. Still counted as a listener meanwhile: the
 * page keeps its seat.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { AutoplayBlockedError } from '../audio/AudioOutput.js';
import { HlsPlayer } from '../audio/HlsPlayer.js';
import { api } from '../lib/api.js';
import { formatClock } from '../lib/format.js';
import { Icon } from './Icon.js';

export function TimeShiftPlayer({ spaceId, onBackToLive }: { spaceId: string; onBackToLive: () => void }) {
  const player = useRef<HlsPlayer | null>(null);
  const [position, setPosition] = useState(0);
  const [behind, setBehind] = useState(0);
  const [playing, setPlaying] = useState(false);
  const [trouble, setTrouble] = useState<string | null>(null);

  useEffect(() => {
    const p = new HlsPlayer(api.url(`/replay/${spaceId}/event.m3u8`), {
      live: false,
      onTrouble: (m) => setTrouble(m),
    });
    player.current = p;
    const el = p.el;
    let started = false;
    const sync = () => {
      // The playlist grows while the space goes on: the end of what can be played is "live".
      const end = el.seekable.length > 0 ? el.seekable.end(el.seekable.length - 1) : el.duration;
      setPosition(el.currentTime);
      if (Number.isFinite(end)) setBehind(Math.max(0, end - el.currentTime));
    };
    const onPlay = () => {
      setPlaying(!el.paused);
      // hls.js starts an EVENT playlist at its live edge: once it plays, go to the beginning.
      if (!started && !el.paused && el.seekable.length > 0) {
        started = true;
        el.currentTime = el.seekable.start(0);
      }
    };
    el.addEventListener('playing', onPlay);
    el.addEventListener('timeupdate', sync);
    el.addEventListener('loadedmetadata', sync);
    el.addEventListener('durationchange', sync);
    el.addEventListener('play', onPlay);
    el.addEventListener('pause', onPlay);
    p.start().catch((err: unknown) =>
      setTrouble(err instanceof AutoplayBlockedError ? err.message : 'The recording could not play.'),
    );
    return () => {
      for (const [ev, f] of [
        ['timeupdate', sync],
        ['loadedmetadata', sync],
        ['durationchange', sync],
        ['play', onPlay],
        ['playing', onPlay],
        ['pause', onPlay],
      ] as const)
        el.removeEventListener(ev, f);
      p.stop();
      player.current = null;
    };
  }, [spaceId]);

  const skip = (delta: number) => {
    const el = player.current?.el;
    if (!el || el.seekable.length === 0) return;
    const start = el.seekable.start(0);
    const end = el.seekable.end(el.seekable.length - 1);
    el.currentTime = Math.max(start, Math.min(end - 1, el.currentTime + delta));
  };
  const toggle = () => {
    const el = player.current?.el;
    if (!el) return;
    if (el.paused) void el.play().catch((err: unknown) => console.warn('time-shift: play refused', err));
    else el.pause();
  };

  return (
    <section class="card timeshift" aria-labelledby="timeshift-h">
      <h2 id="timeshift-h" class="card-h">
        Listening from the beginning
      </h2>
      <p class="muted" aria-live="polite">
        At {formatClock(position)} · <span class="behind">{formatClock(behind)}</span> behind live
      </p>
      <div class="transport">
        <button
          type="button"
          class="icon-btn skip-btn"
          onClick={() => skip(-15)}
          aria-label="Back 15 seconds"
        >
          <Icon name="rewind" size={18} />
          <span aria-hidden="true">15</span>
        </button>
        <button type="button" class="play-btn" onClick={toggle} aria-label={playing ? 'Pause' : 'Play'}>
          <Icon name={playing ? 'pause' : 'play'} size={26} />
        </button>
        <button
          type="button"
          class="icon-btn skip-btn"
          onClick={() => skip(15)}
          aria-label="Forward 15 seconds"
        >
          <span aria-hidden="true">15</span>
          <Icon name="forward" size={18} />
        </button>
        <button type="button" class="btn btn-primary btn-sm" onClick={onBackToLive}>
          Back to live
        </button>
      </div>
      {trouble !== null && <p class="notice notice-soft">{trouble}</p>}
    </section>
  );
}
