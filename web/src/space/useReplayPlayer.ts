/** A recording's player: hls.js VOD on the replay playlist, its clock, and one counted play. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { AutoplayBlockedError, playUntilPlaying } from '../audio/AudioOutput.js';
import { HlsPlayer } from '../audio/HlsPlayer.js';
import { api } from '../lib/api.js';

export interface ReplayPlayer {
  playing: boolean;
  position: number;
  duration: number;
  error: string | null;
  toggle: () => void;
  seek: (seconds: number) => void;
}

export function useReplayPlayer(
  spaceId: string,
  playlistUrl: string | null,
  knownDuration: number,
  onCounted: () => void,
): ReplayPlayer {
  const [playing, setPlaying] = useState(false);
  const [position, setPosition] = useState(0);
  const [duration, setDuration] = useState(knownDuration);
  const [error, setError] = useState<string | null>(null);
  const player = useRef<HlsPlayer | null>(null);
  const counted = useRef(false);
  const onCountedRef = useRef(onCounted);
  onCountedRef.current = onCounted;

  useEffect(() => {
    if (playlistUrl === null) return;
    const p = new HlsPlayer(api.url(playlistUrl), { live: false, onTrouble: (m) => setError(m) });
    player.current = p;
    const el = p.el;
    el.autoplay = false;
    const sync = () => {
      setPosition(el.currentTime);
      if (Number.isFinite(el.duration) && el.duration > 0) setDuration(el.duration);
    };
    const onPlaying = () => {
      setPlaying(true);
      if (counted.current) return;
      counted.current = true;
      api.countPlay(spaceId).then(
        () => onCountedRef.current(),
        (err: unknown) => console.warn('replay: the play was not counted', err),
      );
    };
    const onPause = () => setPlaying(false);
    el.addEventListener('timeupdate', sync);
    el.addEventListener('durationchange', sync);
    el.addEventListener('playing', onPlaying);
    el.addEventListener('pause', onPause);
    el.addEventListener('ended', onPause);
    void p.load();
    return () => {
      el.removeEventListener('timeupdate', sync);
      el.removeEventListener('durationchange', sync);
      el.removeEventListener('playing', onPlaying);
      el.removeEventListener('pause', onPause);
      el.removeEventListener('ended', onPause);
      p.stop();
      player.current = null;
    };
  }, [spaceId, playlistUrl]);

  const toggle = () => {
    const el = player.current?.el;
    if (!el) return;
    if (!el.paused) {
      el.pause();
      return;
    }
    playUntilPlaying(el, 10_000).catch((err: unknown) =>
      setError(err instanceof AutoplayBlockedError ? err.message : 'The recording could not play.'),
    );
  };
  const seek = (s: number) => {
    const el = player.current?.el;
    if (el) el.currentTime = s;
    setPosition(s);
  };
  return { playing, position, duration, error, toggle, seek };
}
