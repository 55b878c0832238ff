/** The signed-in session, kept in localStorage, and a hook that re-renders when it changes. */
import { useEffect, useState } from 'preact/hooks';
import type { Session } from '../api/types.js';

const KEY = 'rostra.session';
type Listener = (s: Session | null) => void;
const listeners = new Set<Listener>();

function read(): Session | null {
  try {
    const raw = localStorage.getItem(KEY);
    if (raw === null) return null;
    const s = JSON.parse(raw) as Session;
    return Date.parse(s.expiresAt) > Date.now() ? s : null;
  } catch (err) {
    console.warn('session: unreadable, signing out', err);
    return null;
  }
}

let current: Session | null = read();

export function getSession(): Session | null {
  return current;
}

export function setSession(s: Session | null): void {
  current = s;
  if (s) localStorage.setItem(KEY, JSON.stringify(s));
  else localStorage.removeItem(KEY);
  for (const l of [...listeners]) {
    try {
      l(s);
    } catch (err) {
      console.error('session listener failed', err);
    }
  }
}

export function onSession(l: Listener): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

export function useSession(): Session | null {
  const [s, set] = useState(current);
  useEffect(() => onSession(set), []);
  return s;
}

// Another tab signed in or out.
addEventListener('storage', (e) => {
  if (e.key === KEY) setSession(read());
});
