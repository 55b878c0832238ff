/** The top of a space page: state, REC, title, topics, host, and the live listener count. */
import type { SpaceView } from '../api/types.js';
import { plural } from '../lib/format.js';
import { Icon } from './Icon.js';

export function SpaceHeader({
  space,
  onListeners,
  lost = false,
}: {
  space: SpaceView;
  onListeners: () => void;
  /** The page lost its connection: nothing here is known to be current. */
  lost?: boolean;
}) {
  const live = space.state === 'live' && !lost;
  return (
    <header class="space-head">
      <div class="space-badges">
        <span class={`pill ${live ? 'pill-live' : ''}`} data-state={lost ? 'reconnecting' : space.state}>
          {live && <span class="live-dot" aria-hidden="true" />}
          {lost
            ? 'Reconnecting'
            : {
                live: 'Live',
                scheduled: 'Scheduled',
                backstage: 'Starting soon',
                ended: 'Ended',
                cancelled: 'Cancelled',
              }[space.state]}
        </span>
        {space.record && live && (
          <span class="pill pill-rec" title="This space is being recorded">
            <span class="rec-dot" aria-hidden="true" /> REC
          </span>
        )}
      </div>
      <h1 class="space-title">{space.title}</h1>
      <p class="muted">
        Hosted by <strong>{space.host.displayName}</strong> @{space.host.handle}
      </p>
      {space.topics.length > 0 && (
        <ul class="topics" aria-label="Topics">
          {space.topics.map((t) => (
            <li key={t}>{t}</li>
          ))}
        </ul>
      )}
      {live && (
        <button type="button" class="count-btn" onClick={onListeners} aria-haspopup="dialog">
          <Icon name="users" size={18} />
          <span class="listener-count" aria-live="polite" aria-atomic="true">
            {plural(space.listenerCount, 'listener', 'listeners')}
          </span>
        </button>
      )}
    </header>
  );
}
