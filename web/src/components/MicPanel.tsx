/** The microphone flow for people on stage: why, ask, refused, connecting, failed. */
import type { MicState } from '../space/useStageAudio.js';
import { Icon } from './Icon.js';

export function MicPanel(props: {
  state: MicState;
  message: string | null;
  role: string;
  onTurnOn: () => void;
}) {
  const { state, message } = props;
  if (state === 'live') return null;
  const busy = state === 'asking' || state === 'connecting' || state === 'reconnecting';
  const title =
    state === 'denied'
      ? 'Microphone blocked'
      : state === 'failed'
        ? 'Microphone not connected'
        : state === 'asking'
          ? 'Allow your microphone'
          : state === 'connecting'
            ? 'Connecting your microphone…'
            : state === 'reconnecting'
              ? 'Reconnecting your microphone…'
              : `You’re ${props.role === 'host' ? 'the host' : `a ${props.role}`}. Turn on your mic to talk.`;
  const body =
    message ??
    (state === 'asking'
      ? 'Your browser is asking for permission. Choose “Allow”.'
      : state === 'reconnecting'
        ? 'The connection dropped. It comes back by itself; nobody hears you until then.'
        : 'People hear you only while you’re on stage and unmuted.');
  return (
    <section
      class={`card mic-panel ${state === 'denied' || state === 'failed' || state === 'reconnecting' ? 'is-problem' : ''}`}
      data-mic={state}
      aria-live="polite"
    >
      <span class="mic-panel-icon" aria-hidden="true">
        <Icon name={state === 'denied' ? 'micOff' : 'mic'} size={22} />
      </span>
      <div class="banner-text">
        <h2 class="card-h">{title}</h2>
        <p class="muted">{body}</p>
      </div>
      {!busy && (
        <button type="button" class="btn btn-primary btn-sm" onClick={props.onTurnOn}>
          {state === 'off' ? 'Turn on microphone' : 'Try again'}
        </button>
      )}
    </section>
  );
}
