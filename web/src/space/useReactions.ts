/** Floating reactions: mine at once, everyone else's from the batched `reactions` events. */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { ReactionEmoji } from '../api/types.js';
import { events } from '../lib/events.js';

export interface Floater {
  key: number;
  emoji: ReactionEmoji;
  /** Horizontal position, 0..1. */
  x: number;
}

const LIFETIME_MS = 2800;
/** At most this many float at once; a flood shows as a steady stream, not a wall. */
const MAX_FLOATING = 24;

export function useReactions(
  spaceId: string,
  meId: string | null,
): { floating: Floater[]; show: (e: ReactionEmoji) => void } {
  const [floating, setFloating] = useState<Floater[]>([]);
  const seq = useRef(0);

  const show = useCallback((emoji: ReactionEmoji) => {
    const key = ++seq.current;
    setFloating((f) => [...f.slice(-(MAX_FLOATING - 1)), { key, emoji, x: 0.1 + Math.random() * 0.8 }]);
    setTimeout(() => setFloating((f) => f.filter((x) => x.key !== key)), LIFETIME_MS);
  }, []);

  useEffect(
    () =>
      events.on('reactions', (e) => {
        if (e.spaceId !== spaceId) return;
        const others = e.recent.filter((r) => meId === null || r.userId !== meId);
        if (others.length > 0) {
          for (const r of others.slice(0, 8)) show(r.emoji);
          return;
        }
        // No per-user detail (a big crowd): show a few from the counts.
        if (e.recent.length === 0)
          for (const [emoji, n] of Object.entries(e.counts).slice(0, 8))
            if ((n ?? 0) > 0) show(emoji as ReactionEmoji);
      }),
    [spaceId, meId, show],
  );

  return { floating, show };
}
