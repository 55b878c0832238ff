/** The bottom bar of a live space: leave, mic or hand, react, listeners, share, and the host's menu. */
import type { ComponentChildren } from 'preact';
import type { ReactionEmoji } from '../api/types.js';
import { Icon } from './Icon.js';
import { ReactionPicker } from './ReactionPicker.js';

export interface ActionBarProps {
  /** 'mic': on stage (mute toggle); 'hand': a signed-in listener; 'none': anonymous. */
  primary: 'mic' | 'hand' | 'none';
  muted: boolean;
  asked: boolean;
  onMic: () => void;
  onHand: () => void;
  onReact: (e: ReactionEmoji) => void;
  onShare: () => void;
  onLeave: () => void;
  leaveLabel: string;
  hostMenu?: ComponentChildren;
}

export function ActionBar(p: ActionBarProps) {
  return (
    <nav class="action-bar" aria-label="Space controls">
      <button type="button" class="action action-leave" onClick={p.onLeave}>
        <Icon name="leave" />
        <span>{p.leaveLabel}</span>
      </button>
      {p.primary === 'mic' && (
        <button
          type="button"
          class={`action action-primary ${p.muted ? '' : 'is-on'}`}
          aria-pressed={!p.muted}
          onClick={p.onMic}
        >
          <Icon name={p.muted ? 'micOff' : 'mic'} />
          <span>{p.muted ? 'Unmute' : 'Mute'}</span>
        </button>
      )}
      {p.primary === 'hand' && (
        <button type="button" class={`action action-primary ${p.asked ? 'is-on' : ''}`} onClick={p.onHand}>
          <Icon name="hand" />
          <span>{p.asked ? 'Cancel request' : 'Request to speak'}</span>
        </button>
      )}
      <ReactionPicker onPick={p.onReact} />
      <button type="button" class="action" onClick={p.onShare}>
        <Icon name="share" />
        <span>Share</span>
      </button>
      {p.hostMenu}
    </nav>
  );
}
