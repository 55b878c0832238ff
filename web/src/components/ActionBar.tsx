/** The bottom bar of a live space: leave, mic or hand, react, listeners, share, and the host's menu. */
import type { ComponentChildren } from 'preact';
import type { ReactionEmoji } from '../api/types.js';
import type { MicState } from '../space/useStageAudio.js';
import { Icon } from './Icon.js';
import { ReactionPicker } from './ReactionPicker.js';

export interface ActionBarProps {
  /** 'mic': on stage (mute toggle); 'hand': a signed-in listener; 'none': anonymous. */
  primary: 'mic' | 'hand' | 'none';
  muted: boolean;
  /** The mic's real connection, so the button never says "Mute" for a mic that is not on air. */
  mic: MicState;
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
      {p.primary === 'mic' && <MicButton muted={p.muted} mic={p.mic} onMic={p.onMic} />}
      {p.primary === 'none' && (
        // An anonymous listener learns how to get a turn, instead of finding no way at all.
        <a class="action action-primary" href={`/signin?next=${encodeURIComponent(location.pathname)}`}>
          <Icon name="hand" />
          <span>Sign in to request to speak</span>
        </a>
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

function MicButton({ muted, mic, onMic }: { muted: boolean; mic: MicState; onMic: () => void }) {
  const onAir = mic === 'live' && !muted;
  const busy = mic === 'asking' || mic === 'connecting' || mic === 'reconnecting';
  const label = busy
    ? mic === 'reconnecting'
      ? 'Reconnecting…'
      : 'Connecting…'
    : muted
      ? 'Unmute'
      : mic === 'live'
        ? 'Mute'
        : 'Mic off';
  return (
    <button
      type="button"
      class={`action action-primary ${onAir ? 'is-on' : ''}`}
      aria-pressed={onAir}
      aria-busy={busy}
      data-mic={mic}
      disabled={busy}
      onClick={onMic}
    >
      <Icon name={onAir ? 'mic' : 'micOff'} />
      <span>{label}</span>
    </button>
  );
}
