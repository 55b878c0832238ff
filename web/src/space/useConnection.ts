/**
 * Is this page still connected to the space? Two signals: the event socket (it closes when the server
 * goes away) and the listener's heartbeat (it gets no answer). A short blip of the socket is not shown:
 * only one that lasts GRACE_MS. Both coming back clears it.
 */
import { useEffect, useState } from 'preact/hooks';
import { events } from '../lib/events.js';

const GRACE_MS = 1500;

export function useConnection(heartbeatOffline: boolean): { lost: boolean } {
  const [socketDown, setSocketDown] = useState(false);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const apply = (s: string) => {
      clearTimeout(timer);
      if (s === 'open') setSocketDown(false);
      else timer = setTimeout(() => setSocketDown(true), GRACE_MS);
    };
    // A socket that never opened (the server is down as the page loads) counts as down too.
    apply(events.status);
    const off = events.onStatus((s) => apply(s));
    return () => {
      clearTimeout(timer);
      off();
    };
  }, []);
  return { lost: socketDown || heartbeatOffline };
}
