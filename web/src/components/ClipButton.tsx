/**
 * "Clip": cuts the last 30 s of a live space (or a window of a replay) into a clip with its own page, and
 * shows its link to copy or open. The server does the cutting (POST /api/v1/spaces/{id}/clips).
 */
import { useState } from 'preact/hooks';
import { describeError } from '../api/ApiError.js';
import type { ClipView, NewClip } from '../../../src/contract/index.js';
import { api } from '../lib/api.js';
import { toast } from '../lib/toast.js';

export interface ClipButtonProps {
  spaceId: string;
  /** What to clip, read at the click (a replay's window, an anonymous listener's ticket). */
  request: () => NewClip;
  /** The button's words. Default "Clip the last 30 s". */
  label?: string;
  class?: string;
}

/** Copies text, or says where it is when the browser refuses (no permission, an insecure origin). */
export async function copyLink(url: string, what = 'Link'): Promise<void> {
  try {
    await navigator.clipboard.writeText(url);
    toast(`${what} copied.`);
  } catch (err) {
    console.warn('clip: clipboard refused', err);
    toast(`Copy this link: ${url}`, 8000);
  }
}

function Scissors() {
  return (
    <svg
      width="18"
      height="18"
      viewBox="0 0 24 24"
      fill="none"
      stroke="currentColor"
      stroke-width="2"
      stroke-linecap="round"
      stroke-linejoin="round"
      aria-hidden="true"
    >
      <path d="M6 9a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM6 21a3 3 0 1 0 0-6 3 3 0 0 0 0 6zM20 4L8.1 15.9M14.5 14.5L20 20M8.1 8.1L12 12" />
    </svg>
  );
}

export function ClipButton(props: ClipButtonProps) {
  const [busy, setBusy] = useState(false);
  const [clip, setClip] = useState<ClipView | null>(null);

  const make = async () => {
    setBusy(true);
    try {
      const made = await api.request<ClipView>(
        'POST',
        `/api/v1/spaces/${props.spaceId}/clips`,
        props.request(),
      );
      setClip(made);
      toast('Clip ready.');
    } catch (err) {
      toast(describeError(err), 6000);
    } finally {
      setBusy(false);
    }
  };

  const link = clip ? `${location.origin}/c/${clip.id}` : '';
  return (
    // Once there is a link to show, a whole row of its own (in a row of tools, it would be squeezed).
    <div class={`clip-maker ${props.class ?? ''}`} style={clip ? { flexBasis: '100%' } : {}}>
      <button
        type="button"
        class="btn btn-outline btn-sm"
        data-testid="clip-button"
        aria-busy={busy}
        disabled={busy}
        onClick={() => void make()}
      >
        <Scissors /> {busy ? 'Clipping…' : (props.label ?? 'Clip the last 30 s')}
      </button>
      {clip && (
        <div class="clip-ready" role="status" style={{ marginTop: '0.5rem', display: 'grid', gap: '0.4rem' }}>
          <span class="muted">Your {Math.round(clip.durationSeconds)} s clip is ready:</span>
          <input
            class="input"
            readOnly
            value={link}
            aria-label="Link to the clip"
            onFocus={(e) => e.currentTarget.select()}
            style={{ width: '100%', minWidth: 0 }}
          />
          <div style={{ display: 'flex', gap: '0.5rem', flexWrap: 'wrap' }}>
            <button type="button" class="btn btn-sm" onClick={() => void copyLink(link, 'Clip link')}>
              Copy link
            </button>
            <a class="btn btn-outline btn-sm" href={`/c/${clip.id}`} data-testid="clip-open">
              Open clip
            </a>
          </div>
        </div>
      )}
    </div>
  );
}
