/** The big states a space page can be in besides "live and listening". */
import type { ComponentChildren } from 'preact';
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

export function UnavailableNotice({ u, onRetry }: { u: Unavailable; onRetry: () => void }) {
  const full = u.reason === 'audience_full';
  return (
    <Notice icon="users" tone="warn" title="This space is not available">
      <p class={full ? 'strong' : ''}>{u.message}</p>
      <p class="retry-line">
        <Countdown to={u.retryAt} prefix="Trying again in " />
        <button type="button" class="btn btn-outline btn-sm" onClick={onRetry}>
          Try now
        </button>
      </p>
    </Notice>
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
