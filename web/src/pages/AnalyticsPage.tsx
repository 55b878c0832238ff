/** A space's numbers for its host: peak and unique listeners, speakers, length, replay plays, the curve. */
import { useCallback, useEffect, useState } from 'preact/hooks';
import { describeError, isApiError } from '../api/ApiError.js';
import type { SpaceAnalytics } from '../api/types.js';
import { ListenerCurve } from '../components/ListenerCurve.js';
import { NotFoundNotice } from '../components/SpaceNotice.js';
import { api } from '../lib/api.js';
import { formatClock, formatCount } from '../lib/format.js';
import { useSession } from '../lib/session.js';

type Load =
  { s: 'loading' } | { s: 'ready'; a: SpaceAnalytics } | { s: 'error'; message: string } | { s: 'missing' };

export function AnalyticsPage({ id }: { id: string }) {
  const session = useSession();
  const [load, setLoad] = useState<Load>({ s: 'loading' });
  const fetchIt = useCallback(async () => {
    try {
      setLoad({ s: 'ready', a: await api.analytics(id) });
    } catch (err) {
      if (isApiError(err, 'space_not_found') || isApiError(err, 'validation_failed'))
        setLoad({ s: 'missing' });
      else setLoad({ s: 'error', message: describeError(err) });
    }
  }, [id]);
  useEffect(() => {
    document.title = 'Space analytics — Rostra';
    if (session) void fetchIt();
  }, [fetchIt, session]);
  // While live, follow the samples.
  const live = load.s === 'ready' && load.a.state === 'live';
  useEffect(() => {
    if (!live || load.s !== 'ready') return;
    const t = setInterval(() => void fetchIt(), load.a.sampleSeconds * 1000);
    return () => clearInterval(t);
  }, [live, fetchIt, load]);

  if (!session)
    return (
      <main id="main" class="page narrow">
        <p class="muted">
          <a href={`/signin?next=${encodeURIComponent(`/s/${id}/analytics`)}`}>Sign in</a> as the host to see
          this space’s numbers.
        </p>
      </main>
    );
  if (load.s === 'missing')
    return (
      <main id="main" class="page narrow">
        <NotFoundNotice />
      </main>
    );
  return (
    <main id="main" class="page narrow analytics">
      <a href={`/s/${id}`} class="back-link">
        ← The space
      </a>
      <h1>Space analytics</h1>
      {load.s === 'loading' && <p class="muted">Loading…</p>}
      {load.s === 'error' && (
        <p class="notice notice-error" role="alert">
          {load.message}
        </p>
      )}
      {load.s === 'ready' && <Figures a={load.a} />}
    </main>
  );
}

function Figures({ a }: { a: SpaceAnalytics }) {
  const figures: [string, string, string][] = [
    ['peak', 'Peak listeners', formatCount(a.peakListeners)],
    ['unique', 'Unique live listeners', formatCount(a.uniqueListeners)],
    ['plays', 'Replay plays', formatCount(a.replayPlays)],
    ['speakers', 'Speakers', formatCount(a.speakers)],
    ['duration', a.state === 'live' ? 'Live for' : 'Duration', formatClock(a.durationSeconds)],
  ];
  if (a.state === 'live') figures.unshift(['now', 'Listening now', formatCount(a.liveListeners)]);
  return (
    <>
      <dl class="figures">
        {figures.map(([key, label, value]) => (
          <div key={key} class="card figure" data-figure={key}>
            <dt>{label}</dt>
            <dd>{value}</dd>
          </div>
        ))}
      </dl>
      <section class="card" aria-labelledby="curve-h">
        <h2 id="curve-h" class="card-h">
          Listeners over time
        </h2>
        <ListenerCurve points={a.curve} />
      </section>
    </>
  );
}
