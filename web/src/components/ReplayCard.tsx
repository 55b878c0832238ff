/** One recording in "Recent recordings": title, host, when, length, plays; the link opens the player. */
import type { RecentReplay } from '../api/types.js';
import { formatClock, formatWhen, plural } from '../lib/format.js';
import { Avatar } from './Avatar.js';

export function ReplayCard({ replay }: { replay: RecentReplay }) {
  const { space } = replay;
  const titleId = `replay-${space.id}-title`;
  return (
    <article class="card space-card" aria-labelledby={titleId}>
      <div class="card-top">
        <span class="pill">Recording · {formatClock(replay.durationSeconds)}</span>
      </div>
      <h3 id={titleId} class="card-title">
        <a href={`/r/${space.id}`} class="stretched">
          {space.title}
        </a>
      </h3>
      <div class="card-foot">
        <span class="faces" aria-hidden="true">
          <Avatar id={space.host.id} name={space.host.displayName} src={space.host.avatarUrl} size="sm" />
        </span>
        <span class="card-meta">
          {space.host.displayName} · {formatWhen(replay.finishedAt)} · {plural(replay.plays, 'play', 'plays')}
        </span>
      </div>
    </article>
  );
}
