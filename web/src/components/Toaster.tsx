/** Shows toasts; the same region announces them to screen readers. */
import { useToasts } from '../lib/toast.js';

export function Toaster() {
  const toasts = useToasts();
  return (
    <div class="toaster" role="status" aria-live="polite">
      {toasts.map((t) => (
        <div key={t.id} class="toast">
          {t.text}
        </div>
      ))}
    </div>
  );
}
