/** A live countdown to a moment, announced politely only when asked to. */
import { formatUntil } from '../lib/format.js';
import { useNow } from '../lib/useNow.js';

export function Countdown({ to, prefix = '' }: { to: number; prefix?: string }) {
  const now = useNow(1000);
  return (
    <span class="countdown" data-seconds={Math.max(0, Math.ceil((to - now) / 1000))}>
      {prefix}
      {formatUntil(to - now)}
    </span>
  );
}
