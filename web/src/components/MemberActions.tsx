/** What the viewer may do to one person: moderation for hosts and co-hosts, mute/leave for oneself. */
import { useState } from 'preact/hooks';
import { describeError } from '../api/ApiError.js';
import type { StageMemberView, UserAction, UserView } from '../api/types.js';
import { api } from '../lib/api.js';
import { toast } from '../lib/toast.js';
import { Avatar } from './Avatar.js';
import { Dialog } from './Dialog.js';
import { ROLE_LABEL } from './StageMember.js';

interface Action {
  label: string;
  run: () => Promise<void>;
  danger?: boolean;
}

export function MemberActions(props: {
  spaceId: string;
  target: UserView;
  /** Set when the target is on stage. */
  member: StageMemberView | undefined;
  meId: string;
  viewerRole: StageMemberView['role'] | 'listener';
  onClose: () => void;
  onUnmuteSelf: () => Promise<void>;
  /** The viewer removed the target from the space. */
  onRemoved?: (userId: string) => void;
  /** The space lets people listen without an account: a removed user could come back signed out. */
  anonymousListening?: boolean;
}) {
  const { spaceId, target, member, meId, viewerRole, onClose } = props;
  const [busy, setBusy] = useState(false);
  const self = target.id === meId;
  const host = viewerRole === 'host';
  const moderator = host || viewerRole === 'cohost';
  const act = (action: UserAction, done: string) => async () => {
    await api.userAction(spaceId, target.id, action);
    if (action === 'remove') props.onRemoved?.(target.id);
    toast(done);
  };
  // Removed means removed for their account everywhere; say plainly what an open space still allows.
  const removedText = props.anonymousListening
    ? `${target.displayName} was removed. This space lets anyone listen without an account, so they could still listen signed out.`
    : `${target.displayName} was removed.`;
  const actions: Action[] = [];
  if (self && member) {
    actions.push(
      member.muted
        ? { label: 'Unmute', run: props.onUnmuteSelf }
        : { label: 'Mute', run: act('mute', 'You are muted.') },
    );
    if (member.role !== 'host')
      actions.push({
        label: 'Leave the stage',
        run: async () => {
          await api.leaveStage(spaceId);
          toast('You are listening again.');
        },
      });
  } else if (moderator && member && member.role !== 'host') {
    if (!member.muted) actions.push({ label: 'Mute', run: act('mute', `${target.displayName} is muted.`) });
    actions.push({
      label: 'Move to listeners',
      run: act('take-mic', `${target.displayName} is a listener now.`),
    });
    if (host && member.role === 'speaker')
      actions.push({ label: 'Make co-host', run: act('cohost', `${target.displayName} is a co-host.`) });
    if (host && member.role === 'cohost')
      actions.push({
        label: 'Remove as co-host',
        run: act('uncohost', `${target.displayName} is a speaker.`),
      });
    actions.push({
      label: 'Remove from space',
      run: act('remove', removedText),
      danger: true,
    });
  } else if (moderator && !member && !self) {
    actions.push({ label: 'Invite to speak', run: act('invite', `Invited ${target.displayName} to speak.`) });
    if (host)
      actions.push({ label: 'Make co-host', run: act('cohost', `${target.displayName} is a co-host.`) });
    actions.push({
      label: 'Remove from space',
      run: act('remove', removedText),
      danger: true,
    });
  }

  const run = async (a: Action) => {
    setBusy(true);
    try {
      await a.run();
      onClose();
    } catch (err) {
      toast(describeError(err));
      setBusy(false);
    }
  };

  return (
    <Dialog title={self ? 'You' : target.displayName} onClose={onClose} class="sheet">
      <div class="person">
        <Avatar id={target.id} name={target.displayName} src={target.avatarUrl} size="lg" />
        <div>
          <strong>{target.displayName}</strong>
          <div class="muted">
            @{target.handle} · {member ? ROLE_LABEL[member.role] : 'Listener'}
          </div>
        </div>
      </div>
      <div class="action-list">
        {actions.map((a) => (
          <button
            key={a.label}
            type="button"
            class={`btn btn-block ${a.danger ? 'btn-danger' : 'btn-outline'}`}
            disabled={busy}
            onClick={() => void run(a)}
          >
            {a.label}
          </button>
        ))}
        {actions.length === 0 && <p class="muted">Nothing to do here.</p>}
      </div>
    </Dialog>
  );
}
