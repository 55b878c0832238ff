/**
 * What a person sees at `/` until the web app is built: that the node runs, what is live, and where the
 * API is described. Server-rendered, no script, escaped.
 */
import type { SpaceView } from '../contract/rest.js';

const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function landingPage(live: readonly SpaceView[], version: string): string {
  const items =
    live.length === 0
      ? '<p>No space is live right now.</p>'
      : `<ul>${live
          .map(
            (s) =>
              `<li><strong>${escape(s.title)}</strong> by @${escape(s.host.handle)} · ${s.listenerCount} listening</li>`,
          )
          .join('')}</ul>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Rostra</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#111}
code{background:#f2f2f2;padding:.1rem .3rem;border-radius:.2rem}a{color:#0a58ca}</style></head>
<body><h1>Rostra</h1><p>Live audio rooms. This node is running (v${escape(version)}).</p>
<h2>Live now</h2>${items}
<h2>API</h2><p>REST under <code>/api/v1</code>, described at <a href="/openapi.json">/openapi.json</a>;
events on the WebSocket <code>/api/v1/events</code>; health at <a href="/healthz">/healthz</a>;
metrics at <a href="/metrics">/metrics</a>.</p></body></html>`;
}
