/**
 * A backstage: the hosts are on stage and hear each other, listeners wait. The stage sees that nobody hears
 * them yet and (host, co-hosts) a Go live button; a listener sees "Starting soon" and how many wait.
 */
import { useState } from 'preact/hooks';
import { describeError } from '../api/ApiError.js';
import type { SpaceView } from '../api/types.js';
import { api } from '../lib/api.js';
import { toast } from '../lib/toast.js';
import { Icon } from './Icon.js';
import { NotifyButton } from './NotifyButton.js';

const waiting = (n: number) => `${n} ${n === 1 ? 'listener is' : 'listeners are'} waiting`;

/** For people on stage in a backstage. */
export function BackstageBanner({
  space,
  moderator,
  onChanged,
}: {
  space: SpaceView;
  moderator: boolean;
  onChanged: () => void;
}) {
  const [busy, setBusy] = useState(false);
  const goLive = async () => {
    setBusy(true);
    try {
      await api.transition(space.id, 'start');
      onChanged();
    } catch (err) {
      toast(describeError(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card notice-card banner tone-warn" aria-labelledby="backstage-h" data-testid="backstage">
      <span class="notice-icon" aria-hidden="true">
        <Icon name="mic" size={26} />
      </span>
      <h2 id="backstage-h">Backstage — listeners can’t hear you yet</h2>
      <p>
        Only the people on stage hear each other. Nothing is broadcast or recorded until the space goes live.
      </p>
      <p class="waiting-count" aria-live="polite">
        {waiting(space.listenerCount)}
      </p>
      {moderator && (
        <button type="button" class="btn btn-primary" disabled={busy} onClick={() => void goLive()}>
          Go live
        </button>
      )}
    </section>
  );
}

/** For listeners who arrive before a backstage goes live: their player starts by itself on go-live. */
export function StartingSoon({ space }: { space: SpaceView }) {
  return (
    <section class="card notice-card" aria-labelledby="soon-h" data-testid="starting-soon">
      <span class="notice-icon" aria-hidden="true">
        <Icon name="calendar" size={26} />
      </span>
      <h2 id="soon-h">Starting soon</h2>
      <p>The hosts are getting ready. The audio starts here as soon as they go live; no need to reload.</p>
      <p class="waiting-count" aria-live="polite">
        {waiting(space.listenerCount)}
      </p>
      <NotifyButton spaceId={space.id} />
    </section>
  );
}
