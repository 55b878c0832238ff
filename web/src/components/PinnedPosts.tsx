/**
 * The links pinned to the top of a space. Everyone sees them; the host and co-hosts pin and unpin. Links
 * open in a new tab with no referrer; the app never fetches them.
 */
import { useState } from 'preact/hooks';
import { describeError } from '../api/ApiError.js';
import type { PinView } from '../api/types.js';
import { api } from '../lib/api.js';
import { toast } from '../lib/toast.js';
import { Icon } from './Icon.js';

const MAX_PINS = 5;

/** The same rule as the server's: http or https, with a host. */
export function isWebLink(raw: string): boolean {
  try {
    const u = new URL(raw.trim());
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false; // not a URL at all
  }
}

export function PinnedPosts(props: { spaceId: string; pins: PinView[]; canEdit: boolean }) {
  const { spaceId, pins, canEdit } = props;
  const [adding, setAdding] = useState(false);
  if (pins.length === 0 && !canEdit) return null;
  return (
    <section class="card pins" aria-labelledby="pins-h">
      <header class="pins-head">
        <h2 id="pins-h" class="card-h">
          <Icon name="pin" size={18} /> Pinned
        </h2>
        {canEdit && !adding && pins.length < MAX_PINS && (
          <button type="button" class="btn btn-outline btn-sm" onClick={() => setAdding(true)}>
            Pin a link
          </button>
        )}
      </header>
      {pins.length === 0 && !adding && <p class="muted">Pin up to {MAX_PINS} links for everyone to see.</p>}
      {pins.length > 0 && (
        <ul class="pin-list" aria-label="Pinned links">
          {pins.map((p) => (
            <li key={p.id} class="pin">
              <Icon name="link" size={16} />
              <span class="pin-text">
                <a href={p.url} target="_blank" rel="noopener noreferrer nofollow ugc">
                  {p.title}
                </a>
                <span class="muted pin-meta">
                  {new URL(p.url).hostname} · pinned by {p.pinnedBy.displayName}
                </span>
              </span>
              {canEdit && (
                <button
                  type="button"
                  class="btn btn-ghost btn-sm"
                  aria-label={`Unpin ${p.title}`}
                  onClick={() =>
                    void api.unpin(spaceId, p.id).catch((err: unknown) => toast(describeError(err)))
                  }
                >
                  Unpin
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
      {adding && <PinForm spaceId={spaceId} onDone={() => setAdding(false)} />}
    </section>
  );
}

function PinForm({ spaceId, onDone }: { spaceId: string; onDone: () => void }) {
  const [title, setTitle] = useState('');
  const [url, setUrl] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    if (!isWebLink(url)) {
      setError('Give a link that starts with http:// or https://.');
      return;
    }
    setBusy(true);
    try {
      await api.pin(spaceId, title.trim(), url.trim());
      onDone();
    } catch (err) {
      setError(describeError(err));
      setBusy(false);
    }
  };
  return (
    <form class="pin-form" onSubmit={(e) => void submit(e)}>
      <label class="field">
        <span>Link title</span>
        <input required maxLength={100} value={title} onInput={(e) => setTitle(e.currentTarget.value)} />
      </label>
      <label class="field">
        <span>Link (http or https)</span>
        <input
          required
          type="url"
          inputMode="url"
          maxLength={2048}
          placeholder="https://"
          value={url}
          onInput={(e) => setUrl(e.currentTarget.value)}
        />
      </label>
      {error !== null && (
        <p class="notice notice-error" role="alert">
          {error}
        </p>
      )}
      <div class="pin-form-actions">
        <button type="submit" class="btn btn-primary btn-sm" disabled={busy}>
          Pin
        </button>
        <button type="button" class="btn btn-ghost btn-sm" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}
