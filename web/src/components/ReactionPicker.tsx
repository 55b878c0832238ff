/** The reaction button and its emoji palette (Escape closes it and returns focus). */
import { useEffect, useRef, useState } from 'preact/hooks';
import { REACTIONS, type ReactionEmoji } from '../api/types.js';
import { Icon } from './Icon.js';

export function ReactionPicker({ onPick }: { onPick: (e: ReactionEmoji) => void }) {
  const [open, setOpen] = useState(false);
  const button = useRef<HTMLButtonElement>(null);
  const palette = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    palette.current?.querySelector('button')?.focus();
    const away = (e: PointerEvent) => {
      const t = e.target as Node;
      if (!palette.current?.contains(t) && !button.current?.contains(t)) setOpen(false);
    };
    document.addEventListener('pointerdown', away);
    return () => document.removeEventListener('pointerdown', away);
  }, [open]);
  return (
    <div class="reaction-picker">
      <button
        ref={button}
        type="button"
        class="action"
        aria-expanded={open}
        aria-controls="reaction-palette"
        onClick={() => setOpen(!open)}
      >
        <Icon name="smile" />
        <span>React</span>
      </button>
      {open && (
        <div
          id="reaction-palette"
          ref={palette}
          class="palette"
          role="group"
          aria-label="Reactions"
          onKeyDown={(e) => {
            if (e.key === 'Escape') {
              setOpen(false);
              button.current?.focus();
            }
          }}
        >
          {REACTIONS.map((emoji) => (
            <button
              key={emoji}
              type="button"
              class="emoji-btn"
              aria-label={`React ${emoji}`}
              onClick={() => onPick(emoji)}
            >
              {emoji}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}
