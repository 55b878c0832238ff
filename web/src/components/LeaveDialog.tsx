/** The host leaves: end the space for everyone, or leave it running for the co-hosts. */
import { useState } from 'preact/hooks';
import { describeError } from '../api/ApiError.js';
import { api } from '../lib/api.js';
import { navigate } from '../lib/router.js';
import { toast } from '../lib/toast.js';
import { Dialog } from './Dialog.js';

export function LeaveDialog(props: { spaceId: string; hasCohost: boolean; onClose: () => void }) {
  const [busy, setBusy] = useState(false);
  const end = async () => {
    setBusy(true);
    try {
      await api.transition(props.spaceId, 'end');
      toast('The space has ended.');
      navigate('/');
    } catch (err) {
      toast(describeError(err));
      setBusy(false);
    }
  };
  return (
    <Dialog title="End the space?" onClose={props.onClose} class="sheet">
      <p>
        {props.hasCohost
          ? 'You can end it for everyone, or leave and let a co-host carry on.'
          : 'You can end it for everyone, or leave it open for a while.'}{' '}
        A space with no host or co-host here ends by itself after a few minutes, and its recording is
        published.
      </p>
      <div class="action-list">
        <button type="button" class="btn btn-danger btn-block" disabled={busy} onClick={() => void end()}>
          End the space
        </button>
        <button type="button" class="btn btn-outline btn-block" disabled={busy} onClick={() => navigate('/')}>
          {props.hasCohost ? 'Leave, and let a co-host carry on' : 'Leave without ending'}
        </button>
        <button type="button" class="btn btn-ghost btn-block" onClick={props.onClose}>
          Stay
        </button>
      </div>
    </Dialog>
  );
}
