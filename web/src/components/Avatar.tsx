/**
 * A round avatar: the user's photo when they uploaded one, else their initials on a colour fixed by their
 * id. Twelve hues, each at a lightness where white initials keep a contrast of at least 4.8:1 (WCAG AA
 * for small bold text), so no colour is unreadable.
 */
import { useEffect, useState } from 'preact/hooks';

export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  const first = parts[0]?.[0] ?? '?';
  const last = parts.length > 1 ? (parts[parts.length - 1]?.[0] ?? '') : '';
  return (first + last).toUpperCase();
}

/** [hue, lightness %] at 62 % saturation; the lightness is the highest with ≥ 4.8:1 against white. */
const PALETTE: readonly (readonly [number, number])[] = [
  [262, 45],
  [204, 41],
  [162, 31],
  [28, 40],
  [340, 45],
  [120, 31],
  [232, 45],
  [8, 45],
  [290, 45],
  [186, 32],
  [50, 31],
  [96, 31],
];

/** FNV-1a of the id picks a colour: the same person has the same colour everywhere. */
export function avatarColour(id: string): readonly [number, number] {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return PALETTE[(h >>> 0) % PALETTE.length] ?? [262, 45];
}

export function Avatar({
  id,
  name,
  src,
  size = 'md',
}: {
  id: string;
  name: string;
  /** The user's avatarUrl; initials when absent or when it fails to load. */
  src?: string | undefined;
  size?: 'sm' | 'md' | 'lg';
}) {
  const [broken, setBroken] = useState(false);
  useEffect(() => setBroken(false), [src]);
  if (src !== undefined && !broken)
    return (
      <img
        class={`avatar avatar-${size} avatar-photo`}
        src={src}
        alt=""
        aria-hidden="true"
        loading="lazy"
        decoding="async"
        onError={() => setBroken(true)}
      />
    );
  const [hue, lightness] = avatarColour(id);
  return (
    <span
      class={`avatar avatar-${size}`}
      style={{ '--avatar-hue': String(hue), '--avatar-l': `${lightness}%` }}
      aria-hidden="true"
    >
      {initials(name)}
    </span>
  );
}
