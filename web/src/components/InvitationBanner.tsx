/** "Ada invited you to speak": accept (you join the stage, muted) or decline. */
import { useState } from 'preact/hooks';
import { describeError } from '../api/ApiError.js';
import type { UserView } from '../api/types.js';
import { api } from '../lib/api.js';
import { toast } from '../lib/toast.js';
import { Icon } from './Icon.js';

export function InvitationBanner(props: { spaceId: string; by: UserView; onDone: () => void }) {
  const [busy, setBusy] = useState(false);
  const answer = async (accept: boolean) => {
    setBusy(true);
    try {
      await api.answerInvitation(props.spaceId, accept);
      props.onDone();
    } catch (err) {
      toast(describeError(err));
      setBusy(false);
    }
  };
  return (
    <section class="card banner" role="alertdialog" aria-labelledby="invite-h" aria-describedby="invite-d">
      <Icon name="mic" />
      <div class="banner-text">
        <h2 id="invite-h" class="card-h">
          {props.by.displayName} invited you to speak
        </h2>
        <p id="invite-d" class="muted">
          You’ll join the stage muted. Unmute when you’re ready.
        </p>
      </div>
      <div class="row-actions">
        <button
          type="button"
          class="btn btn-primary btn-sm"
          disabled={busy}
          onClick={() => void answer(true)}
        >
          Join stage
        </button>
        <button type="button" class="btn btn-ghost btn-sm" disabled={busy} onClick={() => void answer(false)}>
          Not now
        </button>
      </div>
    </section>
  );
}
