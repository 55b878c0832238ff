/** The listener list, paged: signed-in listeners by name (anonymous ones are only counted). */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { describeError } from '../api/ApiError.js';
import type { User, UserView } from '../api/types.js';
import { api } from '../lib/api.js';
import { plural } from '../lib/format.js';
import { Avatar } from './Avatar.js';
import { Dialog } from './Dialog.js';

const PAGE = 20;

export function ListenerPanel(props: {
  spaceId: string;
  count: number;
  /** Stage members are not listed as listeners. */
  onStage: ReadonlySet<string>;
  /** People removed from the space while the panel is open: no longer listed. */
  removed?: ReadonlySet<string>;
  moderator: boolean;
  onClose: () => void;
  onPick: (user: UserView) => void;
}) {
  const { spaceId, onStage, moderator } = props;
  const [users, setUsers] = useState<User[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<string | null>(null);

  const load = useCallback(
    async (after?: string) => {
      setLoading(true);
      try {
        const page = await api.listeners(spaceId, PAGE, after);
        setUsers((u) =>
          after === undefined
            ? page.users
            : [...u, ...page.users.filter((x) => !u.some((y) => y.id === x.id))],
        );
        setCursor(page.nextCursor);
        setError(null);
      } catch (err) {
        setError(describeError(err));
      } finally {
        setLoading(false);
      }
    },
    [spaceId],
  );
  useEffect(() => void load(), [load]);

  const shown = users.filter((u) => !onStage.has(u.id) && !props.removed?.has(u.id));
  const anonymous = Math.max(0, props.count - users.length);
  return (
    <Dialog
      title={`Listeners · ${plural(props.count, 'person', 'people')}`}
      onClose={props.onClose}
      class="sheet"
    >
      {error !== null && (
        <p class="notice notice-error" role="alert">
          {error}
        </p>
      )}
      <ul class="people" aria-label="Listeners" aria-busy={loading}>
        {shown.map((u) => (
          <li key={u.id} class="person-row">
            <Avatar id={u.id} name={u.displayName} src={u.avatarUrl} size="sm" />
            <span class="person-text">
              <span class="person-name">{u.displayName}</span>
              <span class="muted">@{u.handle}</span>
            </span>
            {moderator && (
              <button
                type="button"
                class="btn btn-outline btn-sm"
                onClick={() => props.onPick(u)}
                aria-label={`Actions for ${u.displayName}`}
              >
                Manage
              </button>
            )}
          </li>
        ))}
      </ul>
      {!loading && shown.length === 0 && <p class="muted">No signed-in listeners yet.</p>}
      {cursor === null && anonymous > 0 && (
        <p class="muted">
          {shown.length > 0 ? '…and ' : ''}
          {plural(anonymous, 'listener', 'listeners')} without an account.
        </p>
      )}
      {cursor !== null && (
        <button
          type="button"
          class="btn btn-ghost btn-block"
          disabled={loading}
          onClick={() => void load(cursor)}
        >
          {loading ? 'Loading…' : 'Show more'}
        </button>
      )}
    </Dialog>
  );
}
