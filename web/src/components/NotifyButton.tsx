/** "Notify me" for a scheduled space: a toggle kept on the server (PUT/DELETE interest). */
import { useState } from 'preact/hooks';
import { describeError } from '../api/ApiError.js';
import { api } from '../lib/api.js';
import { navigate } from '../lib/router.js';
import { getSession } from '../lib/session.js';
import { toast } from '../lib/toast.js';
import { Icon } from './Icon.js';

const KEY = 'rostra.notify';

function remembered(): Set<string> {
  try {
    return new Set(JSON.parse(localStorage.getItem(KEY) ?? '[]') as string[]);
  } catch (err) {
    console.warn('notify: unreadable list', err);
    return new Set();
  }
}

export function NotifyButton({ spaceId, small = false }: { spaceId: string; small?: boolean }) {
  const [on, setOn] = useState(() => remembered().has(spaceId));
  const [busy, setBusy] = useState(false);
  const toggle = async () => {
    if (!getSession()) {
      navigate(`/signin?next=${encodeURIComponent(`/s/${spaceId}`)}`);
      return;
    }
    setBusy(true);
    try {
      await api.setInterest(spaceId, !on);
      const set = remembered();
      if (on) set.delete(spaceId);
      else set.add(spaceId);
      localStorage.setItem(KEY, JSON.stringify([...set]));
      setOn(!on);
      toast(on ? 'You will not be notified.' : 'We will let you know when it starts.');
    } catch (err) {
      toast(describeError(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <button
      type="button"
      class={`btn ${on ? 'btn-ghost' : 'btn-outline'} ${small ? 'btn-sm' : ''} notify`}
      aria-pressed={on}
      disabled={busy}
      onClick={() => void toggle()}
    >
      <Icon name="bell" size={16} /> {on ? 'Notifying you' : 'Notify me'}
    </button>
  );
}
