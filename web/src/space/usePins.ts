/** A space's pinned posts: loaded once, then kept current by `pins.changed` events (and after a drop). */
import { useCallback, useEffect, useState } from 'preact/hooks';
import type { PinView } from '../api/types.js';
import { api } from '../lib/api.js';
import { events } from '../lib/events.js';

export function usePins(spaceId: string, live: boolean): { pins: PinView[]; reload: () => Promise<void> } {
  const [pins, setPins] = useState<PinView[]>([]);
  const reload = useCallback(async () => {
    try {
      setPins((await api.pins(spaceId)).pins);
    } catch (err) {
      console.warn('pins: could not load', err);
    }
  }, [spaceId]);
  useEffect(() => {
    void reload();
    if (!live) return;
    const offs = [
      events.subscribe(spaceId),
      events.on('pins.changed', (e) => {
        if (e.spaceId === spaceId) setPins(e.pins);
      }),
      events.onStatus((s, reconnected) => {
        if (s === 'open' && reconnected) void reload();
      }),
    ];
    return () => {
      for (const off of offs) off();
    };
  }, [spaceId, live, reload]);
  return { pins, reload };
}
