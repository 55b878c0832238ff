/** Short messages for everyone (shown) and screen readers (announced in a polite live region). */
import { useEffect, useState } from 'preact/hooks';

export interface Toast {
  id: number;
  text: string;
}

let seq = 0;
let toasts: Toast[] = [];
const listeners = new Set<(t: Toast[]) => void>();

function publish(): void {
  for (const l of [...listeners]) l(toasts);
}

export function toast(text: string, ms = 4000): void {
  const id = ++seq;
  toasts = [...toasts.slice(-2), { id, text }];
  publish();
  setTimeout(() => {
    toasts = toasts.filter((t) => t.id !== id);
    publish();
  }, ms);
}

export function useToasts(): Toast[] {
  const [t, set] = useState(toasts);
  useEffect(() => {
    listeners.add(set);
    return () => listeners.delete(set);
  }, []);
  return t;
}
