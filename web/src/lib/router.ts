/** A tiny client-side router: the server answers every app route with index.html (src/api/WebApp.ts). */
import { useEffect, useState } from 'preact/hooks';

export type Route =
  | { name: 'home' }
  | { name: 'signin' }
  | { name: 'signup' }
  | { name: 'new' }
  | { name: 'space'; id: string }
  | { name: 'replay'; id: string }
  | { name: 'analytics'; id: string }
  | { name: 'clip'; id: string }
  | { name: 'notFound' };

export function match(pathname: string): Route {
  const p = pathname.replace(/\/+$/, '') || '/';
  if (p === '/') return { name: 'home' };
  if (p === '/signin') return { name: 'signin' };
  if (p === '/signup') return { name: 'signup' };
  if (p === '/new') return { name: 'new' };
  const a = /^\/s\/([A-Za-z0-9_-]{1,64})\/analytics$/.exec(p);
  if (a?.[1] !== undefined) return { name: 'analytics', id: a[1] };
  const c = /^\/c\/([A-Za-z0-9_-]{1,64})$/.exec(p);
  if (c?.[1] !== undefined) return { name: 'clip', id: c[1] };
  const m = /^\/([sr])\/([A-Za-z0-9_-]{1,64})$/.exec(p);
  if (m?.[2] !== undefined) return m[1] === 's' ? { name: 'space', id: m[2] } : { name: 'replay', id: m[2] };
  return { name: 'notFound' };
}

const listeners = new Set<() => void>();

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  if (opts.replace) history.replaceState(null, '', to);
  else history.pushState(null, '', to);
  window.scrollTo(0, 0);
  for (const l of [...listeners]) l();
}

/** `?next=` for sign-in, kept to our own paths. */
export function nextParam(): string {
  const next = new URLSearchParams(location.search).get('next') ?? '/';
  return next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

export function useRoute(): Route {
  const [route, setRoute] = useState(() => match(location.pathname));
  useEffect(() => {
    const update = () =>
      setRoute((prev) => {
        const next = match(location.pathname);
        return JSON.stringify(next) === JSON.stringify(prev) ? prev : next;
      });
    listeners.add(update);
    addEventListener('popstate', update);
    // A child's effect may have navigated before this one ran (a signed-out /new goes to sign-in): catch up.
    update();
    return () => {
      listeners.delete(update);
      removeEventListener('popstate', update);
    };
  }, []);
  return route;
}

/** Same-origin links move through history instead of reloading the page. */
export function interceptLinks(root: HTMLElement): void {
  root.addEventListener('click', (e) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    const a = (e.target as Element | null)?.closest('a');
    if (!a || a.target !== '' || a.hasAttribute('download')) return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin || url.pathname.startsWith('/api/')) return;
    e.preventDefault();
    navigate(url.pathname + url.search);
  });
}
