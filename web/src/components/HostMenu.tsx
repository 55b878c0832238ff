/** The host's and co-hosts' space-wide controls: mute everyone, end the space (host, confirmed). */
import { useState } from 'preact/hooks';
import { describeError } from '../api/ApiError.js';
import { api } from '../lib/api.js';
import { toast } from '../lib/toast.js';
import { Dialog } from './Dialog.js';
import { Icon } from './Icon.js';

export function HostMenu({ spaceId, isHost }: { spaceId: string; isHost: boolean }) {
  const [open, setOpen] = useState(false);
  const [confirmEnd, setConfirmEnd] = useState(false);
  const [busy, setBusy] = useState(false);
  const run = async (f: () => Promise<unknown>, done: string) => {
    setBusy(true);
    try {
      await f();
      toast(done);
      setOpen(false);
      setConfirmEnd(false);
    } catch (err) {
      toast(describeError(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" class="action" aria-haspopup="dialog" onClick={() => setOpen(true)}>
        <Icon name="more" />
        <span>Host tools</span>
      </button>
      {open && (
        <Dialog title="Host tools" onClose={() => setOpen(false)} class="sheet">
          <div class="action-list">
            <button
              type="button"
              class="btn btn-outline btn-block"
              disabled={busy}
              onClick={() => void run(() => api.muteAll(spaceId), 'Everyone on stage is muted.')}
            >
              Mute all speakers
            </button>
            {isHost && (
              // A new tab: leaving the space page would take the host off the air.
              <a
                class="btn btn-outline btn-block"
                href={`/s/${spaceId}/analytics`}
                target="_blank"
                rel="noopener"
              >
                Analytics (new tab)
              </a>
            )}
            {isHost &&
              (confirmEnd ? (
                <div class="confirm" role="group" aria-label="Confirm ending">
                  <p>End the space for everyone? </p>
                  <button
                    type="button"
                    class="btn btn-danger btn-block"
                    disabled={busy}
                    onClick={() => void run(() => api.transition(spaceId, 'end'), 'The space has ended.')}
                  >
                    Yes, end space
                  </button>
                  <button type="button" class="btn btn-ghost btn-block" onClick={() => setConfirmEnd(false)}>
                    Keep it going
                  </button>
                </div>
              ) : (
                <button type="button" class="btn btn-danger btn-block" onClick={() => setConfirmEnd(true)}>
                  End space
                </button>
              ))}
          </div>
        </Dialog>
      )}
    </>
  );
}
