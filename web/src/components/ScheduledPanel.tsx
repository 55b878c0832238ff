/**
 * A scheduled space: when it starts (counting down), Notify me, and for its host: Open backstage (meet the
 * co-hosts on stage before listeners hear anything), Start now, Cancel.
 */
import { useState } from 'preact/hooks';
import { describeError } from '../api/ApiError.js';
import type { SpaceView } from '../api/types.js';
import { api } from '../lib/api.js';
import { formatWhen } from '../lib/format.js';
import { toast } from '../lib/toast.js';
import { Countdown } from './Countdown.js';
import { Icon } from './Icon.js';
import { NotifyButton } from './NotifyButton.js';

export function ScheduledPanel({
  space,
  isHost,
  onChanged,
}: {
  space: SpaceView;
  isHost: boolean;
  onChanged: () => void;
}) {
  const [busy, setBusy] = useState(false);
  const at = space.scheduledFor !== null ? Date.parse(space.scheduledFor) : null;
  const go = async (verb: 'backstage' | 'start' | 'cancel') => {
    setBusy(true);
    try {
      await api.transition(space.id, verb);
      onChanged();
    } catch (err) {
      toast(describeError(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card notice-card" aria-labelledby="sched-h">
      <span class="notice-icon" aria-hidden="true">
        <Icon name="calendar" size={26} />
      </span>
      <h2 id="sched-h">Scheduled{at !== null ? ` for ${formatWhen(space.scheduledFor ?? '')}` : ''}</h2>
      {at !== null && (
        <p class="big-countdown" role="timer" aria-live="off">
          {at > Date.now() ? <Countdown to={at} prefix="Starts in " /> : 'Starting soon'}
        </p>
      )}
      <div class="row-actions center">
        {isHost ? (
          <>
            <button
              type="button"
              class="btn btn-primary"
              disabled={busy}
              onClick={() => void go('backstage')}
            >
              Open backstage
            </button>
            <button type="button" class="btn btn-outline" disabled={busy} onClick={() => void go('start')}>
              Start now
            </button>
            <button type="button" class="btn btn-ghost" disabled={busy} onClick={() => void go('cancel')}>
              Cancel space
            </button>
          </>
        ) : (
          <NotifyButton spaceId={space.id} />
        )}
      </div>
    </section>
  );
}
