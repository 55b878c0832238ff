/** A person on stage: avatar with a speaking ring, role, and a muted mark. */
import type { StageMemberView } from '../api/types.js';
import { Avatar } from './Avatar.js';
import { Icon } from './Icon.js';

export const ROLE_LABEL: Record<StageMemberView['role'], string> = {
  host: 'Host',
  cohost: 'Co-host',
  speaker: 'Speaker',
};

export function StageMember(props: {
  member: StageMemberView;
  speaking: boolean;
  isMe: boolean;
  /** When set, the avatar is a button that opens the member's actions. */
  onOpen?: () => void;
}) {
  const { member: m, speaking, isMe, onOpen } = props;
  const name = isMe ? `${m.displayName} (you)` : m.displayName;
  const label = `${name}, ${ROLE_LABEL[m.role]}${m.muted ? ', muted' : ''}${speaking ? ', speaking' : ''}`;
  const face = (
    <>
      <span class={`ring ${speaking && !m.muted ? 'is-speaking' : ''}`}>
        <Avatar id={m.id} name={m.displayName} src={m.avatarUrl} size="lg" />
      </span>
      {m.muted && (
        <span class="mute-badge" data-muted="true">
          <Icon name="micOff" size={14} label="Muted" />
        </span>
      )}
    </>
  );
  return (
    <li class="member" data-user={m.handle} data-role={m.role} data-muted={String(m.muted)}>
      {onOpen ? (
        <button
          type="button"
          class="member-face"
          aria-label={`${label}. Actions`}
          aria-haspopup="dialog"
          onClick={onOpen}
        >
          {face}
        </button>
      ) : (
        <span class="member-face" role="img" aria-label={label}>
          {face}
        </span>
      )}
      <span class="member-name" aria-hidden="true" title={m.displayName}>
        {m.displayName}
      </span>
      <span class={`member-role role-${m.role}`} aria-hidden="true">
        {ROLE_LABEL[m.role]}
        {isMe ? ' · you' : ''}
      </span>
    </li>
  );
}
