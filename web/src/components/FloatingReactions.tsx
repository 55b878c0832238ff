/** Reactions rising over the stage; with reduced motion they fade in place (see CSS). Decorative. */
import type { Floater } from '../space/useReactions.js';

export function FloatingReactions({ floating }: { floating: Floater[] }) {
  return (
    <div class="floaters" aria-hidden="true">
      {floating.map((f) => (
        <span key={f.key} class="floater" data-emoji={f.emoji} style={{ left: `${(f.x * 100).toFixed(1)}%` }}>
          {f.emoji}
        </span>
      ))}
    </div>
  );
}
