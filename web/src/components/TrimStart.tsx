/**
 * The host's "Trim start" on the replay page: cut the minutes before the space really began. The time is
 * in the recording's own clock (so 0 undoes a trim); the server cuts at the next segment boundary (a few
 * seconds at most) and says where the replay now starts.
 */
import { useState } from 'preact/hooks';
import { describeError } from '../api/ApiError.js';
import type { Replay } from '../api/types.js';
import { api } from '../lib/api.js';
import { formatClock } from '../lib/format.js';
import { toast } from '../lib/toast.js';

/** The server keeps at least this much of a replay (ReplayTrim.ts). */
const MIN_LEFT_S = 5;

export function TrimStart(props: { spaceId: string; replay: Replay; onTrimmed: (r: Replay) => void }) {
  const trim = props.replay.trimStartSeconds ?? 0;
  const full = props.replay.durationSeconds + trim;
  const max = Math.max(0, Math.floor((full - MIN_LEFT_S) * 10) / 10);
  const [value, setValue] = useState(String(trim));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const submit = async (startSeconds: number) => {
    setBusy(true);
    setError(null);
    try {
      const replay = await api.trimReplay(props.spaceId, startSeconds);
      const at = replay.trimStartSeconds ?? 0;
      setValue(String(at));
      toast(
        at > 0
          ? `The replay now starts at ${formatClock(at)} of the recording.`
          : 'The whole recording plays again.',
      );
      props.onTrimmed(replay);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <details class="trim-start">
      <summary>Trim start</summary>
      <form
        class="trim-form"
        onSubmit={(e) => {
          e.preventDefault();
          const n = Number(value);
          if (value.trim() === '' || !Number.isFinite(n)) {
            setError('Enter a number of seconds.');
            return;
          }
          void submit(n);
        }}
      >
        <label class="field">
          <span>Start the replay at (seconds into the recording, 0 to {max})</span>
          <input
            name="startSeconds"
            type="number"
            inputMode="decimal"
            step="any"
            value={value}
            onInput={(e) => setValue(e.currentTarget.value)}
            aria-describedby="trim-help"
          />
        </label>
        <p id="trim-help" class="muted">
          {trim > 0
            ? `Now it starts at ${formatClock(trim)} of ${formatClock(full)}.`
            : `The recording is ${formatClock(full)} long.`}{' '}
          The cut falls on the next few-second boundary; the files are kept, so you can undo it.
        </p>
        {error !== null && (
          <p class="notice notice-error" role="alert">
            {error}
          </p>
        )}
        <div class="trim-actions">
          <button type="submit" class="btn btn-primary btn-sm" disabled={busy}>
            {busy ? 'Trimming…' : 'Trim'}
          </button>
          {trim > 0 && (
            <button type="button" class="btn btn-ghost btn-sm" disabled={busy} onClick={() => void submit(0)}>
              Undo trim
            </button>
          )}
        </div>
      </form>
    </details>
  );
}
