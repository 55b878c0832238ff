/**
 * A clip's own page (/c/{clipId}): the space's title and host, who made it, and the clip in a plain
 * <audio> element (a standalone .m4a: every browser plays it without a script). Copy its link; its maker,
 * the host or a co-host may delete it. The server writes the link-preview card into this page's HTML.
 */
import { useEffect, useState } from 'preact/hooks';
import { describeError, isApiError } from '../api/ApiError.js';
import type { ClipView } from '../../../src/contract/index.js';
import { Icon } from '../components/Icon.js';
import { copyLink } from '../components/ClipButton.js';
import { api } from '../lib/api.js';
import { formatWhen } from '../lib/format.js';
import { navigate } from '../lib/router.js';
import { toast } from '../lib/toast.js';

type Load =
  | { s: 'loading' }
  | { s: 'ready'; clip: ClipView }
  | { s: 'gone' }
  | { s: 'missing' }
  | { s: 'failed'; message: string };

export function ClipPage({ id }: { id: string }) {
  const [load, setLoad] = useState<Load>({ s: 'loading' });

  useEffect(() => {
    api.request<ClipView>('GET', `/api/v1/clips/${id}`).then(
      (clip) => {
        setLoad({ s: 'ready', clip });
        document.title = `Clip: ${clip.spaceTitle} — Rostra`;
      },
      (err: unknown) => {
        if (isApiError(err, 'clip_gone')) setLoad({ s: 'gone' });
        else if (isApiError(err, 'clip_not_found') || isApiError(err, 'validation_failed'))
          setLoad({ s: 'missing' });
        else setLoad({ s: 'failed', message: describeError(err) });
      },
    );
  }, [id]);

  const remove = async (clip: ClipView) => {
    if (!confirm('Delete this clip for everyone?')) return;
    try {
      await api.request<void>('DELETE', `/api/v1/clips/${clip.id}`);
      toast('Clip deleted.');
      navigate(`/s/${clip.spaceId}`);
    } catch (err) {
      toast(describeError(err));
    }
  };

  if (load.s === 'gone' || load.s === 'missing')
    return (
      <main id="main" class="page narrow">
        <section class="card notice-card tone-calm" role="status" aria-live="polite">
          <span class="notice-icon" aria-hidden="true">
            <Icon name="close" size={26} />
          </span>
          <h2>{load.s === 'gone' ? 'This clip is gone' : 'This clip does not exist'}</h2>
          <p>
            {load.s === 'gone'
              ? 'It was deleted, or it expired (clips are kept for a limited time).'
              : 'The link may be wrong.'}
          </p>
          <a class="btn btn-outline" href="/">
            Back to live spaces
          </a>
        </section>
      </main>
    );
  if (load.s !== 'ready')
    return (
      <main id="main" class="page narrow">
        <p class={load.s === 'failed' ? 'notice notice-error' : 'muted'} role="status">
          {load.s === 'failed' ? `The clip could not be loaded (${load.message}).` : 'Loading the clip…'}
        </p>
      </main>
    );

  const { clip } = load;
  const link = `${location.origin}/c/${clip.id}`;
  return (
    <main id="main" class="page narrow clip-page">
      <section class="card player" aria-labelledby="clip-title">
        <span class="pill">Clip · {Math.round(clip.durationSeconds)} s</span>
        <h1 id="clip-title" class="space-title">
          {clip.spaceTitle}
        </h1>
        <p class="muted">
          From a space hosted by {clip.host.displayName} (@{clip.host.handle})
          {clip.creator ? <> · clipped by {clip.creator.displayName}</> : <> · clipped by a listener</>} ·{' '}
          {formatWhen(clip.createdAt)}
        </p>
        <audio
          controls
          preload="auto"
          src={api.url(clip.audioUrl)}
          data-testid="clip-audio"
          aria-label={`Clip of ${clip.spaceTitle}`}
          style={{ width: '100%', margin: '12px 0' }}
        />
        <div style={{ display: 'flex', gap: '0.5rem', flexWrap: 'wrap' }}>
          <button type="button" class="btn btn-sm" onClick={() => void copyLink(link, 'Clip link')}>
            Copy link
          </button>
          <a class="btn btn-outline btn-sm" href={`/s/${clip.spaceId}`}>
            Go to the space
          </a>
          {clip.canDelete && (
            <button type="button" class="btn btn-outline btn-sm" onClick={() => void remove(clip)}>
              Delete clip
            </button>
          )}
        </div>
        <p class="muted" style={{ marginTop: '12px', fontSize: '0.85rem' }}>
          Kept until {formatWhen(clip.expiresAt)}.
        </p>
      </section>
    </main>
  );
}
