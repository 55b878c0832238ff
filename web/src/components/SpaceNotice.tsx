/** The big states a space page can be in besides "live and listening". */
import type { ComponentChildren } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../lib/api.js';
import type { SpaceView } from '../api/types.js';
import type { Unavailable } from '../space/useListenerTicket.js';
import { Countdown } from './Countdown.js';
import { Icon, type IconName } from './Icon.js';

function Notice(props: {
  icon: IconName;
  title: string;
  tone?: 'warn' | 'calm';
  children?: ComponentChildren;
}) {
  return (
    <section class={`card notice-card tone-${props.tone ?? 'calm'}`} role="status" aria-live="polite">
      <span class="notice-icon" aria-hidden="true">
        <Icon name={props.icon} size={26} />
      </span>
      <h2>{props.title}</h2>
      {props.children}
    </section>
  );
}

/** What a refused listener is told, by the server's reason: the truth, not "not available". */
function refusalTitle(reason: string): string {
  switch (reason) {
    case 'audience_full':
      return 'The live audience is full';
    case 'node_at_capacity':
    case 'overloaded':
      return 'Too many people are joining right now';
    case 'queued':
      return 'You are in line to listen';
    case 'rate_limited':
      return 'Too many requests from your network';
    default:
      return 'Listening is paused for a moment';
  }
}

export function UnavailableNotice({
  u,
  onRetry,
  space,
  signedIn = false,
}: {
  u: Unavailable;
  onRetry: () => void;
  /** The space, for its live count (a seat freed → retry now) and whether it is recorded. */
  space?: SpaceView;
  signedIn?: boolean;
}) {
  const full = u.reason === 'audience_full' || u.reason === 'node_at_capacity';
  // Retry as soon as a seat frees up: the live count (pushed every ~2 s) went down since the refusal.
  const firstCount = useRef(space?.listenerCount);
  const count = space?.listenerCount;
  useEffect(() => {
    if (!full || count === undefined || firstCount.current === undefined) return;
    if (count < firstCount.current) {
      firstCount.current = count;
      onRetry();
    }
  }, [full, count, onRetry]);
  return (
    <Notice icon="users" tone="warn" title={refusalTitle(u.reason)}>
      <p class={full ? 'strong' : ''}>{u.message}</p>
      <p class="retry-line">
        <Countdown to={u.retryAt} prefix="Trying again by itself in " />
        {full && ' (sooner if a seat frees up)'}
        <button type="button" class="btn btn-outline btn-sm" onClick={onRetry}>
          Try now
        </button>
      </p>
      {space?.record && (
        <>
          <p>The space is recorded: the recording will be published when it ends.</p>
          <RecordingNotify space={space} signedIn={signedIn} />
        </>
      )}
    </Notice>
  );
}

/** Polling for the replay, for anonymous listeners (who get no events of their own), seconds. */
const REPLAY_POLL_S = 20;

/**
 * "Notify me when the recording is out": a signed-in listener is told by the space's `space.state` event
 * (the page's event stream), then the replay is fetched; an anonymous one has the page poll the replay.
 */
function RecordingNotify({ space, signedIn }: { space: SpaceView; signedIn: boolean }) {
  const [wanted, setWanted] = useState(false);
  const [ready, setReady] = useState(false);
  const ended = space.state === 'ended';
  useEffect(() => {
    if (!wanted || ready || (signedIn && !ended)) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const check = () => {
      api.replay(space.id).then(
        () => {
          if (stopped) return;
          setReady(true);
          if ('Notification' in window && Notification.permission === 'granted')
            new Notification('The recording is out', { body: space.title });
        },
        () => {
          // Not yet (still live, or still being finished): look again a little later.
          if (!stopped) timer = setTimeout(check, (ended ? 5 : REPLAY_POLL_S) * 1000);
        },
      );
    };
    check();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [wanted, ready, signedIn, ended, space.id, space.title]);
  if (ready)
    return (
      <a class="btn btn-primary" href={`/r/${space.id}`}>
        <Icon name="play" size={16} /> The recording is out: play it
      </a>
    );
  if (wanted) return <p role="status">We will tell you here when the recording is out.</p>;
  return (
    <button
      type="button"
      class="btn btn-outline btn-sm"
      onClick={() => {
        setWanted(true);
        if ('Notification' in window && Notification.permission === 'default')
          void Notification.requestPermission();
      }}
    >
      Notify me when the recording is out
    </button>
  );
}

export function EndedNotice({ space }: { space: SpaceView }) {
  return (
    <Notice
      icon="power"
      title={space.state === 'cancelled' ? 'This space was cancelled' : 'This space has ended'}
    >
      {space.state === 'ended' && space.record ? (
        <>
          <p>It was recorded, so you can still listen.</p>
          <a class="btn btn-primary" href={`/r/${space.id}`}>
            <Icon name="play" size={16} /> Play recording
          </a>
        </>
      ) : (
        <p>Thanks for listening.</p>
      )}
      <a href="/">Find another space</a>
    </Notice>
  );
}

export function RefusedNotice({ code, message }: { code: string; message: string }) {
  const signIn = code === 'sign_in_required';
  return (
    <Notice icon="users" tone="warn" title={signIn ? 'Sign in to listen' : 'You can’t listen to this space'}>
      <p>{message}</p>
      {signIn && (
        <a class="btn btn-primary" href={`/signin?next=${encodeURIComponent(location.pathname)}`}>
          Sign in
        </a>
      )}
    </Notice>
  );
}

export function NotFoundNotice({ what = 'space' }: { what?: string }) {
  return (
    <Notice icon="close" title={`This ${what} does not exist`}>
      <p>The link may be wrong, or it was removed.</p>
      <a class="btn btn-outline" href="/">
        Back to live spaces
      </a>
    </Notice>
  );
}
