/** One space in a list: live (listeners, who is on stage) or scheduled (when, notify me). */
import type { SpaceView } from '../api/types.js';
import { formatWhen, plural } from '../lib/format.js';
import { Avatar } from './Avatar.js';
import { NotifyButton } from './NotifyButton.js';

export function SpaceCard({ space }: { space: SpaceView }) {
  const live = space.state === 'live';
  const titleId = `space-${space.id}-title`;
  return (
    <article class={`card space-card ${live ? 'is-live' : ''}`} aria-labelledby={titleId}>
      <div class="card-top">
        {live ? (
          <span class="pill pill-live">
            <span class="live-dot" aria-hidden="true" /> Live
          </span>
        ) : space.state === 'backstage' ? (
          <span class="pill">Starting soon</span>
        ) : (
          <span class="pill">
            {space.scheduledFor !== null ? formatWhen(space.scheduledFor) : 'Scheduled'}
          </span>
        )}
        {space.record && (
          <span class="pill pill-rec" title="This space is recorded">
            REC
          </span>
        )}
      </div>
      <h3 id={titleId} class="card-title">
        <a href={`/s/${space.id}`} class="stretched">
          {space.title}
        </a>
      </h3>
      {space.topics.length > 0 && (
        <ul class="topics" aria-label="Topics">
          {space.topics.map((t) => (
            <li key={t}>{t}</li>
          ))}
        </ul>
      )}
      <div class="card-foot">
        <span class="faces" aria-hidden="true">
          {space.stage.slice(0, 3).map((m) => (
            <Avatar key={m.id} id={m.id} name={m.displayName} src={m.avatarUrl} size="sm" />
          ))}
        </span>
        <span class="card-meta">
          {space.host.displayName}
          {live && <> · {plural(space.listenerCount, 'listener', 'listeners')}</>}
        </span>
        {!live && <NotifyButton spaceId={space.id} small />}
      </div>
    </article>
  );
}
