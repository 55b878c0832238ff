/** Requests to speak, for the host and co-hosts to accept or decline. */
import { useState } from 'preact/hooks';
import { describeError } from '../api/ApiError.js';
import type { SpeakRequest } from '../api/types.js';
import { api } from '../lib/api.js';
import { toast } from '../lib/toast.js';
import { Avatar } from './Avatar.js';
import { Icon } from './Icon.js';

export function RequestQueue(props: {
  spaceId: string;
  queue: SpeakRequest[];
  onAnswered: (userId: string) => void;
}) {
  const [busy, setBusy] = useState<string | null>(null);
  if (props.queue.length === 0) return null;
  const answer = async (userId: string, name: string, accept: boolean) => {
    setBusy(userId);
    try {
      await api.answerRequest(props.spaceId, userId, accept);
      props.onAnswered(userId);
      toast(accept ? `${name} is joining the stage.` : `Declined ${name}’s request.`);
    } catch (err) {
      toast(describeError(err));
    } finally {
      setBusy(null);
    }
  };
  return (
    <section class="card requests" aria-labelledby="requests-h">
      <h2 id="requests-h" class="card-h">
        <Icon name="hand" size={18} /> Requests to speak <span class="badge">{props.queue.length}</span>
      </h2>
      <ul class="people">
        {props.queue.map(({ user }) => (
          <li key={user.id} class="person-row">
            <Avatar id={user.id} name={user.displayName} src={user.avatarUrl} size="sm" />
            <span class="person-text">
              <span class="person-name">{user.displayName}</span>
              <span class="muted">@{user.handle}</span>
            </span>
            <span class="row-actions">
              <button
                type="button"
                class="btn btn-primary btn-sm"
                disabled={busy === user.id}
                onClick={() => void answer(user.id, user.displayName, true)}
                aria-label={`Accept ${user.displayName}`}
              >
                Accept
              </button>
              <button
                type="button"
                class="btn btn-ghost btn-sm"
                disabled={busy === user.id}
                onClick={() => void answer(user.id, user.displayName, false)}
                aria-label={`Decline ${user.displayName}`}
              >
                Decline
              </button>
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}
