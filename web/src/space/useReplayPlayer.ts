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
  /** Playback speed (1 = normal). */
  rate: number;
  toggle: () => void;
  seek: (seconds: number) => void;
  /** Jumps by `delta` seconds (±15 in the UI), kept inside the recording. */
  skip: (delta: number) => void;
  setRate: (rate: number) => void;
}

export function useReplayPlayer(
  spaceId: string,
  playlistUrl: string | null,
  knownDuration: number,
  onCounted: () => void,
  /** Where to start (a link to a moment, `?t=`), in seconds. */
  startAt = 0,
): ReplayPlayer {
  const [playing, setPlaying] = useState(false);
  const [position, setPosition] = useState(0);
  const [duration, setDuration] = useState(knownDuration);
  const [error, setError] = useState<string | null>(null);
  const [rate, setRateState] = useState(1);
  const startRef = useRef(startAt);
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
    // A link to a moment: start there once the player knows the recording's length.
    const onMeta = () => {
      if (startRef.current > 0 && Number.isFinite(el.duration)) {
        el.currentTime = Math.min(startRef.current, Math.max(0, el.duration - 1));
        startRef.current = 0;
      }
      sync();
    };
    el.addEventListener('loadedmetadata', onMeta);
    el.addEventListener('timeupdate', sync);
    el.addEventListener('durationchange', sync);
    el.addEventListener('playing', onPlaying);
    el.addEventListener('pause', onPause);
    el.addEventListener('ended', onPause);
    void p.load();
    return () => {
      el.removeEventListener('loadedmetadata', onMeta);
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
  const skip = (delta: number) => {
    const el = player.current?.el;
    const at = (el?.currentTime ?? position) + delta;
    const end = el && Number.isFinite(el.duration) ? el.duration : duration;
    seek(Math.max(0, Math.min(at, Math.max(0, end - 0.5))));
  };
  const setRate = (r: number) => {
    const el = player.current?.el;
    if (el) el.playbackRate = r;
    setRateState(r);
  };
  return { playing, position, duration, error, rate, toggle, seek, skip, setRate };
}
