/** A round avatar made from the display name's initials, its hue fixed by the user id. */
export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  const first = parts[0]?.[0] ?? '?';
  const last = parts.length > 1 ? (parts[parts.length - 1]?.[0] ?? '') : '';
  return (first + last).toUpperCase();
}

/** Eight hues far enough apart to tell people apart; FNV-1a picks one per id. */
const HUES = [262, 204, 162, 28, 340, 120, 232, 8];

function hue(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return HUES[(h >>> 0) % HUES.length] ?? 262;
}

export function Avatar({ id, name, size = 'md' }: { id: string; name: string; size?: 'sm' | 'md' | 'lg' }) {
  return (
    <span class={`avatar avatar-${size}`} style={{ '--avatar-hue': String(hue(id)) }} aria-hidden="true">
      {initials(name)}
    </span>
  );
}
