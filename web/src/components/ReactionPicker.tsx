/**
 * The reaction button and its emoji palette (Escape closes it and returns focus). On a phone the palette
 * is one scrolling row docked above the action bar, and the page moves up if the stage would sit under it:
 * the speakers stay in sight while people react.
 */
import { useEffect, useLayoutEffect, useRef, useState } from 'preact/hooks';
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
  useLayoutEffect(() => {
    const p = palette.current;
    if (!open || !p) return;
    const box = p.getBoundingClientRect();
    let under = 0;
    for (const m of document.querySelectorAll('.stage-grid .member')) {
      const r = m.getBoundingClientRect();
      // Also those further down, behind the action bar: lifting one row must not bring the next under it.
      if (r.bottom > box.top - 8) under = Math.max(under, r.bottom - box.top + 8);
    }
    if (under === 0) return;
    // Room to scroll even on a short page, then lift the stage clear of the palette.
    document.documentElement.classList.add('palette-open');
    window.scrollBy({ top: under, behavior: 'instant' });
    return () => document.documentElement.classList.remove('palette-open');
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
