/** What a stage change means, in words: for me (a toast) and for everyone (the live region). */
import type { EventOf, SpaceView } from '../api/types.js';

export function stageMessage(
  e: EventOf<'stage.changed'>,
  before: SpaceView | null,
  meId: string | null,
): { mine: string | null; all: string | null } {
  const who = e.stage.find((m) => m.id === e.userId) ?? before?.stage.find((m) => m.id === e.userId);
  const name = who?.displayName ?? 'Someone';
  const me = e.userId !== null && e.userId === meId;
  const byOther = e.by !== null && e.by !== meId;
  switch (e.cause) {
    case 'joined':
      return me
        ? { mine: 'You’re a speaker now. Unmute when you’re ready.', all: 'You joined the stage.' }
        : { mine: null, all: `${name} joined the stage.` };
    case 'left':
      return { mine: null, all: me ? 'You left the stage.' : `${name} left the stage.` };
    case 'muted':
      return me && byOther
        ? { mine: 'A host muted you.', all: 'You were muted.' }
        : { mine: null, all: me ? 'You are muted.' : `${name} is muted.` };
    case 'unmuted':
      return { mine: null, all: me ? 'You are unmuted.' : `${name} unmuted.` };
    case 'mute_all':
      return byOther && before?.stage.some((m) => m.id === meId)
        ? { mine: 'A host muted everyone.', all: 'Everyone on stage was muted.' }
        : { mine: null, all: 'Everyone on stage was muted.' };
    case 'mic_taken':
      return me
        ? { mine: 'You’re a listener again.', all: 'You were moved to listeners.' }
        : { mine: null, all: `${name} was moved to listeners.` };
    case 'removed':
      return { mine: null, all: `${name} was removed.` };
    case 'cohost_added':
      return me
        ? { mine: 'You’re a co-host now.', all: 'You are a co-host.' }
        : { mine: null, all: `${name} is a co-host.` };
    case 'cohost_removed':
      return { mine: null, all: me ? 'You are a speaker again.' : `${name} is no longer a co-host.` };
    case 'started':
      return { mine: null, all: 'The space started.' };
    case 'ended':
      return { mine: null, all: 'The space ended.' };
    case 'disconnected':
      return me
        ? { mine: 'Your mic was gone too long, so you’re a listener again.', all: 'You left the stage.' }
        : { mine: null, all: `${name} lost their connection and left the stage.` };
  }
}
