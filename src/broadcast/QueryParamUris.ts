/**
 * Carries a query parameter (the listener ticket) from a playlist's own URL to every URI it names, with
 * HLS variable substitution (RFC 8216bis 4.4.2.3, `EXT-X-DEFINE:QUERYPARAM`): each URI gets
 * `?ticket={$ticket}` and the player fills in the value from the URL it loaded the playlist from.
 *
 * Why not write the ticket itself into the URIs: every listener's playlist would then differ, and an edge
 * that keys its cache without the ticket (as it must, docs/edge.md) would hand one listener's ticket to
 * everyone. With substitution the body is the same for every listener who sends `?ticket=`, so a crowd
 * still shares one cache entry per playlist URL (and one more for cookie players, which get the plain body).
 * A cross-origin page cannot rely on the cookie (it is first-party only), so this is how it listens.
 */

/** Protocol version that brought QUERYPARAM (RFC 8216bis 8). */
const VERSION = 11;

/**
 * Recent renderings per parameter name, keyed by the playlist text: a crowd's blocking reloads all wake on
 * the same text (the same string instance, whose hash V8 keeps), so the rewrite runs once per change.
 */
const memo = new Map<string, Map<string, string>>();
const MEMO_SIZE = 64;

/** `playlist` with every URI carrying `?<name>={$<name>}`, and the EXT-X-DEFINE that fills it in. */
export function carryQueryParam(playlist: string, name: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new TypeError(`not a variable name: ${name}`);
  let texts = memo.get(name);
  if (!texts) memo.set(name, (texts = new Map()));
  const hit = texts.get(playlist);
  if (hit !== undefined) return hit;
  const suffix = (uri: string) => `${uri}${uri.includes('?') ? '&' : '?'}${name}={$${name}}`;
  const out: string[] = [];
  let versioned = false;
  for (const line of playlist.split('\n')) {
    if (line === '') {
      out.push(line);
    } else if (line.startsWith('#EXT-X-VERSION:')) {
      out.push(`#EXT-X-VERSION:${Math.max(VERSION, Number(line.slice(15)) || 0)}`);
      out.push(`#EXT-X-DEFINE:QUERYPARAM="${name}"`);
      versioned = true;
    } else if (line.startsWith('#')) {
      out.push(line.replace(/URI="([^"]*)"/g, (_m, uri: string) => `URI="${suffix(uri)}"`));
    } else {
      out.push(suffix(line));
    }
  }
  if (!versioned) out.splice(1, 0, `#EXT-X-VERSION:${VERSION}`, `#EXT-X-DEFINE:QUERYPARAM="${name}"`);
  const text = out.join('\n');
  if (texts.size >= MEMO_SIZE) texts.delete(texts.keys().next().value as string);
  texts.set(playlist, text);
  return text;
}
