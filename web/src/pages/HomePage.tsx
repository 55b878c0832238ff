/** Home: what is live now (with listener counts) and what is coming up. */
import { useEffect, useState } from 'preact/hooks';
import { describeError } from '../api/ApiError.js';
import type { RecentReplay, SpaceView } from '../api/types.js';
import { ReplayCard } from '../components/ReplayCard.js';
import { SpaceCard } from '../components/SpaceCard.js';
import { api } from '../lib/api.js';
import { useSession } from '../lib/session.js';

const REFRESH_MS = 15_000;

export function HomePage() {
  const session = useSession();
  const [live, setLive] = useState<SpaceView[] | null>(null);
  const [scheduled, setScheduled] = useState<SpaceView[] | null>(null);
  const [replays, setReplays] = useState<RecentReplay[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    document.title = 'Rostra — live audio spaces';
    let stale = false;
    const load = async () => {
      try {
        const [l, b, s, r] = await Promise.all([
          api.listSpaces('live'),
          api.listSpaces('backstage'),
          api.listSpaces('scheduled'),
          api.recentReplays(),
        ]);
        if (stale) return;
        setLive(l.spaces);
        // Backstage spaces come first: they are "Starting soon".
        setScheduled([...b.spaces, ...s.spaces]);
        setReplays(r.replays);
        setError(null);
      } catch (err) {
        if (!stale) setError(describeError(err));
      }
    };
    void load();
    const t = setInterval(() => void load(), REFRESH_MS);
    return () => {
      stale = true;
      clearInterval(t);
    };
  }, []);

  return (
    <main id="main" class="page home">
      <section class="hero">
        <h1>Live conversations, out loud.</h1>
        <p class="lede">Drop in to listen — no account needed. Raise your hand to speak.</p>
        {!session && (
          <p class="hero-actions">
            <a class="btn btn-primary" href="/signup?next=/new">
              Host a space
            </a>
          </p>
        )}
      </section>
      {error !== null && (
        <p class="notice notice-warn" role="alert">
          {error}
        </p>
      )}
      <section aria-labelledby="live-h">
        <h2 id="live-h" class="section-title">
          Live now
        </h2>
        {live === null ? (
          <div class="skeleton-list" aria-busy="true" aria-label="Loading live spaces">
            <div class="card skeleton" />
            <div class="card skeleton" />
          </div>
        ) : live.length === 0 ? (
          <p class="empty">
            Nothing live right now.{' '}
            {session ? <a href="/new">Start a space</a> : <a href="/signup?next=/new">Start the first one</a>}
          </p>
        ) : (
          <div class="card-grid">
            {live.map((s) => (
              <SpaceCard key={s.id} space={s} />
            ))}
          </div>
        )}
      </section>
      <section aria-labelledby="soon-h">
        <h2 id="soon-h" class="section-title">
          Coming up
        </h2>
        {scheduled === null ? null : scheduled.length === 0 ? (
          <p class="empty">No scheduled spaces yet.</p>
        ) : (
          <div class="card-grid">
            {scheduled.map((s) => (
              <SpaceCard key={s.id} space={s} />
            ))}
          </div>
        )}
      </section>
      <section aria-labelledby="recent-h">
        <h2 id="recent-h" class="section-title">
          Recent recordings
        </h2>
        {replays === null ? null : replays.length === 0 ? (
          <p class="empty">No recordings yet. Recorded spaces appear here when they end.</p>
        ) : (
          <div class="card-grid">
            {replays.map((r) => (
              <ReplayCard key={r.space.id} replay={r} />
            ))}
          </div>
        )}
      </section>
    </main>
  );
}
