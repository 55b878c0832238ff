/** A space as the page shows it: loaded once, then kept current by the event stream. */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { isApiError, describeError } from '../api/ApiError.js';
import type { EventOf, SpaceView } from '../api/types.js';
import { api } from '../lib/api.js';
import { events } from '../lib/events.js';

export type LoadStatus = 'loading' | 'ready' | 'not_found' | 'error';

export interface SpaceViewState {
  status: LoadStatus;
  space: SpaceView | null;
  error: string | null;
  /** Users whose voice is active right now (from `speaking` events). */
  speaking: ReadonlySet<string>;
  reload: () => Promise<void>;
}

export interface SpaceViewHooks {
  /** Every stage change, after the state holds the new stage. */
  onStage?: (e: EventOf<'stage.changed'>, before: SpaceView | null) => void;
  onRemoved?: () => void;
}

export function useSpaceView(id: string, hooks: SpaceViewHooks = {}): SpaceViewState {
  const [status, setStatus] = useState<LoadStatus>('loading');
  const [space, setSpace] = useState<SpaceView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [speaking, setSpeaking] = useState<ReadonlySet<string>>(new Set());
  const spaceRef = useRef<SpaceView | null>(null);
  spaceRef.current = space;
  const hooksRef = useRef(hooks);
  hooksRef.current = hooks;

  const reload = useCallback(async () => {
    try {
      const view = await api.space(id);
      setSpace(view);
      setStatus('ready');
      setError(null);
    } catch (err) {
      if (isApiError(err, 'space_not_found') || isApiError(err, 'validation_failed')) setStatus('not_found');
      else if (spaceRef.current === null) {
        setStatus('error');
        setError(describeError(err));
      }
    }
  }, [id]);

  useEffect(() => {
    setStatus('loading');
    setSpace(null);
    void reload();
    const patch = (f: (s: SpaceView) => SpaceView) => setSpace((s) => (s ? f(s) : s));
    const mine =
      <T extends { spaceId: string }>(h: (e: T) => void) =>
      (e: T) => {
        if (e.spaceId === id) h(e);
      };
    const offs = [
      events.subscribe(id),
      events.on(
        'space.state',
        mine((e) => {
          patch((s) => ({ ...s, state: e.state }));
          void reload(); // startedAt / endedAt / recording come with the full view
        }),
      ),
      events.on(
        'stage.changed',
        mine((e) => {
          const before = spaceRef.current;
          patch((s) => ({ ...s, stage: e.stage }));
          hooksRef.current.onStage?.(e, before);
        }),
      ),
      events.on(
        'count',
        mine((e) => patch((s) => ({ ...s, listenerCount: e.listeners }))),
      ),
      events.on(
        'speaking',
        mine((e) =>
          setSpeaking((prev) => {
            if (prev.has(e.userId) === e.speaking) return prev;
            const next = new Set(prev);
            if (e.speaking) next.add(e.userId);
            else next.delete(e.userId);
            return next;
          }),
        ),
      ),
      events.on(
        'removed',
        mine(() => hooksRef.current.onRemoved?.()),
      ),
      // Back after a drop: what changed meanwhile is in the view.
      events.onStatus((s, reconnected) => {
        if (s === 'open' && reconnected) void reload();
        // Nobody is known to be speaking while we cannot hear about it; a new subscription says who is.
        if (s !== 'open') setSpeaking((prev) => (prev.size === 0 ? prev : new Set()));
      }),
    ];
    return () => {
      for (const off of offs) off();
    };
  }, [id, reload]);

  return { status, space, error, speaking, reload };
}
