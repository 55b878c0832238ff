/** Create a space: start it now, or schedule it up to 14 days ahead. */
import { useEffect, useState } from 'preact/hooks';
import { describeError } from '../api/ApiError.js';
import type { NewSpace } from '../api/types.js';
import { Switch } from '../components/Switch.js';
import { TopicsInput } from '../components/TopicsInput.js';
import { api } from '../lib/api.js';
import { navigate } from '../lib/router.js';
import { useSession } from '../lib/session.js';

const MAX_DAYS = 14;

/** The value a datetime-local input takes for a Date, in local time. */
function localInput(d: Date): string {
  const z = new Date(d.getTime() - d.getTimezoneOffset() * 60_000);
  return z.toISOString().slice(0, 16);
}

export function NewSpacePage() {
  const session = useSession();
  const [title, setTitle] = useState('');
  const [topics, setTopics] = useState<string[]>([]);
  const [record, setRecord] = useState(true);
  const [anonymous, setAnonymous] = useState(true);
  const [when, setWhen] = useState<'now' | 'later'>('now');
  const [at, setAt] = useState(() => localInput(new Date(Date.now() + 60 * 60_000)));
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    document.title = 'Start a space — Rostra';
    if (!session) navigate('/signin?next=/new', { replace: true });
  }, [session]);
  if (!session)
    return (
      <main id="main" class="page narrow">
        <p class="muted">
          <a href="/signin?next=/new">Sign in</a> to start a space.
        </p>
      </main>
    );

  const min = localInput(new Date(Date.now() + 60_000));
  const max = localInput(new Date(Date.now() + MAX_DAYS * 86_400_000));

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    const input: NewSpace = { title: title.trim(), topics, record, anonymousListening: anonymous };
    if (when === 'later') {
      const t = new Date(at);
      if (
        Number.isNaN(t.getTime()) ||
        t.getTime() <= Date.now() ||
        t.getTime() > Date.now() + MAX_DAYS * 86_400_000
      ) {
        setError(`Pick a time in the next ${MAX_DAYS} days.`);
        return;
      }
      input.scheduledFor = t.toISOString();
    }
    setBusy(true);
    try {
      const space = await api.createSpace(input);
      navigate(`/s/${space.id}`, { replace: true });
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  };

  return (
    <main id="main" class="page narrow">
      <form class="card form" onSubmit={(e) => void submit(e)}>
        <h1>Start a space</h1>
        <label class="field">
          <span>Title</span>
          <input
            name="title"
            required
            maxLength={70}
            placeholder="What do you want to talk about?"
            value={title}
            onInput={(e) => setTitle(e.currentTarget.value)}
          />
          <span class="hint">{70 - title.length} characters left</span>
        </label>
        <TopicsInput value={topics} onChange={setTopics} max={3} />
        <div class="switches">
          <Switch
            label="Record this space"
            hint="Listeners can replay it after it ends."
            checked={record}
            onChange={setRecord}
          />
          <Switch
            label="Allow anonymous listeners"
            hint="People can listen without an account."
            checked={anonymous}
            onChange={setAnonymous}
          />
        </div>
        <fieldset class="field segmented">
          <legend>When</legend>
          <label>
            <input type="radio" name="when" checked={when === 'now'} onChange={() => setWhen('now')} />
            <span>Start now</span>
          </label>
          <label>
            <input type="radio" name="when" checked={when === 'later'} onChange={() => setWhen('later')} />
            <span>Schedule</span>
          </label>
        </fieldset>
        {when === 'later' && (
          <label class="field">
            <span>Date and time</span>
            <input
              type="datetime-local"
              required
              min={min}
              max={max}
              value={at}
              onInput={(e) => setAt(e.currentTarget.value)}
            />
            <span class="hint">
              Up to {MAX_DAYS} days ahead. Followers who tap “Notify me” get a reminder.
            </span>
          </label>
        )}
        {error !== null && (
          <p class="notice notice-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" class="btn btn-primary btn-block" disabled={busy || title.trim() === ''}>
          {busy ? 'Creating…' : when === 'now' ? 'Start your space' : 'Schedule'}
        </button>
      </form>
    </main>
  );
}
