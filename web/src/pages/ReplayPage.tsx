/** The recording of a space that ended: play, seek, and how many times it was played. */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { describeError, isApiError } from '../api/ApiError.js';
import type { Replay, SpaceView } from '../api/types.js';
import { Avatar } from '../components/Avatar.js';
import { Icon } from '../components/Icon.js';
import { NotFoundNotice } from '../components/SpaceNotice.js';
import { api } from '../lib/api.js';
import { formatClock, formatWhen, plural } from '../lib/format.js';
import { useReplayPlayer } from '../space/useReplayPlayer.js';
import { usePins } from '../space/usePins.js';
import { PinnedPosts } from '../components/PinnedPosts.js';
import { toast } from '../lib/toast.js';
import { useSession } from '../lib/session.js';
import { TrimStart } from '../components/TrimStart.js';
import { ClipButton } from '../components/ClipButton.js';

const SPEEDS = [0.75, 1, 1.25, 1.5, 2] as const;

/** `?t=` of a link to a moment: whole seconds, or m:ss / h:mm:ss. Anything else starts at the beginning. */
export function momentParam(search: string): number {
  const t = new URLSearchParams(search).get('t')?.trim() ?? '';
  if (/^\d{1,6}$/.test(t)) return Number(t);
  const m = /^(?:(\d{1,3}):)?([0-5]?\d):([0-5]\d)$/.exec(t);
  if (!m) return 0;
  return Number(m[1] ?? 0) * 3600 + Number(m[2]) * 60 + Number(m[3]);
}

type Load =
  | { s: 'loading' }
  | { s: 'ready'; replay: Replay }
  | { s: 'pending'; message: string }
  | { s: 'none'; message: string }
  | { s: 'missing' };

export function ReplayPage({ id }: { id: string }) {
  const [space, setSpace] = useState<SpaceView | null>(null);
  const [load, setLoad] = useState<Load>({ s: 'loading' });
  const [plays, setPlays] = useState(0);
  const session = useSession();

  const fetchReplay = useCallback(async () => {
    try {
      const replay = await api.replay(id);
      setLoad({ s: 'ready', replay });
      setPlays(replay.plays);
    } catch (err) {
      if (isApiError(err, 'space_not_found')) setLoad({ s: 'missing' });
      else if (isApiError(err, 'not_found')) setLoad({ s: 'none', message: err.message });
      else if (isApiError(err, 'invalid_state')) setLoad({ s: 'pending', message: err.message });
      else setLoad({ s: 'pending', message: `The recording could not be loaded (${describeError(err)})` });
    }
  }, [id]);

  useEffect(() => {
    api.space(id).then(
      (s) => {
        setSpace(s);
        document.title = `Replay: ${s.title} — Rostra`;
      },
      (err: unknown) => {
        if (isApiError(err, 'space_not_found')) setLoad({ s: 'missing' });
      },
    );
    void fetchReplay();
  }, [id, fetchReplay]);

  // Not ready yet (still live, or being finalised): look again every so often.
  useEffect(() => {
    if (load.s !== 'pending') return;
    const t = setTimeout(() => void fetchReplay(), 10_000);
    return () => clearTimeout(t);
  }, [load, fetchReplay]);

  const ready = load.s === 'ready' ? load.replay : null;
  const [startAt] = useState(() => momentParam(location.search));
  const player = useReplayPlayer(
    id,
    ready?.playlistUrl ?? null,
    ready?.durationSeconds ?? 0,
    () => setPlays((n) => n + 1),
    startAt,
  );
  const pins = usePins(id, false);
  const shareMoment = async () => {
    const url = `${location.origin}/r/${id}?t=${Math.floor(player.position)}`;
    try {
      await navigator.clipboard.writeText(url);
      toast(`Link to ${formatClock(player.position)} copied.`);
    } catch (err) {
      console.warn('replay: clipboard refused', err);
      toast(`Copy this link: ${url}`, 8000);
    }
  };

  if (load.s === 'missing')
    return (
      <main id="main" class="page narrow">
        <NotFoundNotice what="recording" />
      </main>
    );
  return (
    <main id="main" class="page narrow replay">
      <a href={`/s/${id}`} class="back-link">
        ← Space details
      </a>
      <section class="card player" aria-labelledby="replay-title">
        <span class="pill">Recording</span>
        <h1 id="replay-title" class="space-title">
          {space?.title ?? 'Recording'}
        </h1>
        {space && (
          <p class="muted person">
            <Avatar id={space.host.id} name={space.host.displayName} src={space.host.avatarUrl} size="sm" />{' '}
            {space.host.displayName}
            {space.endedAt !== null && <> · {formatWhen(space.endedAt)}</>}
          </p>
        )}
        {load.s === 'pending' && (
          <p class="notice notice-soft" role="status">
            {load.message} This page checks again by itself.
          </p>
        )}
        {load.s === 'none' && (
          <p class="notice notice-soft" role="status">
            {load.message}
          </p>
        )}
        {load.s === 'loading' && <p class="muted">Loading the recording…</p>}
        {ready && (
          <>
            <div class="transport">
              <button
                type="button"
                class="icon-btn skip-btn"
                onClick={() => player.skip(-15)}
                aria-label="Back 15 seconds"
              >
                <Icon name="rewind" size={18} />
                <span aria-hidden="true">15</span>
              </button>
              <button
                type="button"
                class="play-btn"
                onClick={player.toggle}
                aria-label={player.playing ? 'Pause' : 'Play'}
              >
                <Icon name={player.playing ? 'pause' : 'play'} size={26} />
              </button>
              <button
                type="button"
                class="icon-btn skip-btn"
                onClick={() => player.skip(15)}
                aria-label="Forward 15 seconds"
              >
                <span aria-hidden="true">15</span>
                <Icon name="forward" size={18} />
              </button>
              <div class="scrub">
                <input
                  type="range"
                  min={0}
                  max={Math.max(1, Math.round(player.duration))}
                  step={1}
                  value={Math.round(player.position)}
                  aria-label="Seek"
                  aria-valuetext={`${formatClock(player.position)} of ${formatClock(player.duration)}`}
                  onInput={(e) => player.seek(Number(e.currentTarget.value))}
                />
                <div class="times">
                  <span>{formatClock(player.position)}</span>
                  <span>{formatClock(player.duration)}</span>
                </div>
              </div>
            </div>
            <div class="replay-tools">
              <label class="speed">
                <span>Speed</span>
                <select
                  value={String(player.rate)}
                  onChange={(e) => player.setRate(Number(e.currentTarget.value))}
                >
                  {SPEEDS.map((r) => (
                    <option key={r} value={String(r)}>
                      {r}×
                    </option>
                  ))}
                </select>
              </label>
              <button type="button" class="btn btn-outline btn-sm" onClick={() => void shareMoment()}>
                <Icon name="link" size={16} /> Copy link to {formatClock(player.position)}
              </button>
              <ClipButton
                spaceId={id}
                label={`Clip 30 s to ${formatClock(player.position)}`}
                request={() => {
                  // The 30 s that end where the player is (the first 30 s near the start; a shorter
                  // recording whole, less a frame or two the renditions may differ by).
                  const length = Math.max(5, Math.min(30, Math.floor(player.duration * 10) / 10 - 0.2));
                  const end = Math.min(player.duration, Math.max(player.position, length));
                  const startSeconds = Math.max(0, Math.floor((end - length) * 10) / 10);
                  return { startSeconds, durationSeconds: length };
                }}
              />
              {ready?.downloadUrl !== undefined && (
                <a class="btn btn-outline btn-sm" href={ready.downloadUrl} download>
                  Download (.m4a)
                </a>
              )}
            </div>
            <p class="muted plays" aria-live="polite">
              {plural(plays, 'play', 'plays')}
            </p>
            {session !== null && session.user.id === space?.host.id && (
              <TrimStart
                spaceId={id}
                replay={ready}
                onTrimmed={(replay) => setLoad({ s: 'ready', replay })}
              />
            )}
            {player.error !== null && (
              <p class="notice notice-error" role="alert">
                {player.error}
              </p>
            )}
          </>
        )}
      </section>
      <PinnedPosts spaceId={id} pins={pins.pins} canEdit={false} />
    </main>
  );
}
