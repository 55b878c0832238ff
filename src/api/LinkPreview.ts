/**
 * Link previews: Open Graph and Twitter-card tags for a space's page (/s/{id}) and its replay (/r/{id}),
 * rendered into the app's index.html by the server, because the crawlers that draw a shared link's card
 * do not run the app's script. Title, host, live or replay, and the listener count; the Twitter card is a
 * `player` card pointing at the embeddable player (/embed/{id}).
 */
import type { SpaceView } from '../contract/rest.js';

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export interface LinkPreview {
  readonly title: string;
  readonly description: string;
  readonly url: string;
  /** The embeddable player, for the Twitter player card. */
  readonly playerUrl: string;
  /** A clip's audio file (og:audio); its card is a summary card, not the space's player. */
  readonly audio?: { readonly url: string; readonly type: string };
}

/** What a card says about a clip (/c/{clipId}): its space's title, host and length, and its audio. */
export function clipLinkPreview(
  view: SpaceView,
  clip: { id: string; durationSeconds: number; audioUrl: string },
  publicUrl: string,
): LinkPreview {
  const host = `${view.host.displayName} (@${view.host.handle})`;
  return {
    title: view.title,
    description: `A ${Math.round(clip.durationSeconds)} s clip of a space hosted by ${host}`,
    url: `${publicUrl}/c/${clip.id}`,
    playerUrl: `${publicUrl}/embed/${view.id}`,
    audio: { url: clip.audioUrl, type: 'audio/mp4' },
  };
}

/** What a card says about a space (`page: 'space'`) or its replay (`page: 'replay'`). */
export function linkPreview(view: SpaceView, page: 'space' | 'replay', publicUrl: string): LinkPreview {
  const host = `${view.host.displayName} (@${view.host.handle})`;
  let what: string;
  if (page === 'replay') what = `Replay of a space hosted by ${host}`;
  else if (view.state === 'live') {
    const n = view.listenerCount;
    what = `Live now · hosted by ${host} · ${n} ${n === 1 ? 'listener' : 'listeners'}`;
  } else if (view.state === 'scheduled') what = `Scheduled space hosted by ${host}`;
  else if (view.state === 'backstage') what = `Starting soon · hosted by ${host}`;
  else what = `Ended space hosted by ${host}`;
  const path = page === 'replay' ? `/r/${view.id}` : `/s/${view.id}`;
  return {
    title: view.title,
    description: what,
    url: `${publicUrl}${path}`,
    playerUrl: `${publicUrl}/embed/${view.id}`,
  };
}

/** The `<meta>` tags of a preview. */
export function previewTags(p: LinkPreview): string {
  const meta = (attr: 'property' | 'name', key: string, value: string) =>
    `<meta ${attr}="${key}" content="${escape(value)}" />`;
  return [
    meta('property', 'og:type', 'website'),
    meta('property', 'og:site_name', 'Rostra'),
    meta('property', 'og:title', p.title),
    meta('property', 'og:description', p.description),
    meta('property', 'og:url', p.url),
    meta('name', 'description', p.description),
    ...(p.audio
      ? [
          meta('property', 'og:audio', p.audio.url),
          meta('property', 'og:audio:type', p.audio.type),
          meta('name', 'twitter:card', 'summary'),
          meta('name', 'twitter:title', p.title),
          meta('name', 'twitter:description', p.description),
        ]
      : [
          meta('name', 'twitter:card', 'player'),
          meta('name', 'twitter:title', p.title),
          meta('name', 'twitter:description', p.description),
          meta('name', 'twitter:player', p.playerUrl),
          meta('name', 'twitter:player:width', '480'),
          meta('name', 'twitter:player:height', '200'),
        ]),
  ].join('\n    ');
}

/**
 * index.html with the preview's tags and title: the app's own `<title>` and description are replaced, the
 * tags go before `</head>`. Text without a head is returned with the tags prepended (never dropped).
 */
export function withPreview(indexHtml: string, p: LinkPreview): string {
  const tags = previewTags(p);
  const html = indexHtml
    .replace(/<title>[^<]*<\/title>/, `<title>${escape(p.title)} · Rostra</title>`)
    .replace(/<meta name="description"[^>]*>\s*/, '');
  const at = html.indexOf('</head>');
  return at < 0 ? `${tags}\n${html}` : `${html.slice(0, at)}  ${tags}\n  ${html.slice(at)}`;
}
