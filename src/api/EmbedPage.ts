/**
 * `/embed/{id}`: a player any site can put in an `<iframe>`: the title, the host, the live count, a listen
 * button and a link to the space. Server-rendered and small (no app bundle): its script joins with
 * `?ticket=` (a third-party iframe gets no cookie), renews the ticket by heartbeat, and plays with hls.js
 * (Opus) where Media Source Extensions play Opus, or natively (Safari, which picks the AAC rendition), and
 * says plainly when the browser can do neither. It may be framed by anyone: `frame-ancestors *`, and no
 * X-Frame-Options.
 */
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import type { SpaceView } from '../contract/rest.js';
import type { ControlPlane } from '../control/ControlPlane.js';
import { RostraError } from '../errors/index.js';
import { logger } from '../log/Logger.js';
import { ID_PATTERN } from '../util/ids.js';

const log = logger('api.embed');
const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** hls.js' browser build, served beside the page so an embed needs nothing from a third party. */
function loadHlsJs(): Buffer | undefined {
  try {
    return readFileSync(createRequire(import.meta.url).resolve('hls.js/dist/hls.min.js'));
  } catch (err) {
    log.warn({ err }, 'hls.js is not installed: embeds play only where the browser has native HLS');
    return undefined;
  }
}

export function registerEmbed(app: FastifyInstance, plane: Pick<ControlPlane, 'spaces'>): void {
  let hlsJs: Buffer | undefined | null = null;
  app.get('/embed/hls.min.js', async (_request, reply) => {
    if (hlsJs === null) hlsJs = loadHlsJs();
    if (!hlsJs) throw new RostraError('not_found');
    return reply
      .type('text/javascript; charset=utf-8')
      .header('cache-control', 'public, max-age=86400')
      .header('access-control-allow-origin', '*')
      .send(hlsJs);
  });
  app.get<{ Params: { id: string } }>('/embed/:id', async (request, reply) => {
    const { id } = request.params;
    if (!ID_PATTERN.test(id)) throw new RostraError('space_not_found');
    const view = await plane.spaces.view(id);
    return reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'public, max-age=5')
      .header('content-security-policy', 'frame-ancestors *')
      .send(embedPage(view));
  });
}

export function embedPage(view: SpaceView): string {
  const live = view.state === 'live';
  const status =
    view.state === 'live'
      ? `LIVE · ${view.listenerCount} listening`
      : view.state === 'scheduled'
        ? 'Scheduled'
        : view.state === 'backstage'
          ? 'Starting soon'
          : 'Ended';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(view.title)} · Rostra</title>
<style>
:root{color-scheme:light dark;--fg:#14121a;--bg:#f7f7fb;--muted:#5d5a6b;--accent:#6d4aff;--live:#e0245e}
@media (prefers-color-scheme:dark){:root{--fg:#f1eff7;--bg:#0e0d13;--muted:#a9a5b8}}
body{margin:0;font:15px/1.4 system-ui,sans-serif;color:var(--fg);background:var(--bg)}
main{display:flex;flex-direction:column;gap:.5rem;padding:1rem;max-width:36rem}
h1{font-size:1.15rem;margin:0}p{margin:0}.muted{color:var(--muted)}
.status{font-weight:600;font-size:.85rem}.status.live{color:var(--live)}
.row{display:flex;align-items:center;gap:.75rem;flex-wrap:wrap}
button{font:inherit;font-weight:600;border:0;border-radius:999px;padding:.55rem 1.2rem;background:var(--accent);color:#fff;cursor:pointer}
button:disabled{opacity:.5;cursor:default}a{color:var(--accent)}
.message{font-size:.9rem}.message:empty{display:none}
</style></head>
<body><main id="embed" data-space="${escape(view.id)}" data-live="${live ? '1' : '0'}">
<p class="status${live ? ' live' : ''}" id="status">${escape(status)}</p>
<h1>${escape(view.title)}</h1>
<p class="muted">Hosted by ${escape(view.host.displayName)} (@${escape(view.host.handle)})</p>
<div class="row"><button id="listen" type="button"${live ? '' : ' disabled'}>Listen</button>
<a href="${escape(view.pageUrl)}" target="_blank" rel="noopener">Open the space</a></div>
<p class="message" id="message" role="status" aria-live="polite"></p>
<audio id="audio" preload="none" data-audio="embed"></audio>
</main>
<script src="/embed/hls.min.js"></script>
<script>${EMBED_SCRIPT}</script>
</body></html>`;
}

/** The player. Plain browser JavaScript (no build step); element ids and data attributes are above. */
const EMBED_SCRIPT = String.raw`(() => {
  const root = document.getElementById('embed');
  const id = root.dataset.space;
  const button = document.getElementById('listen');
  const statusEl = document.getElementById('status');
  const message = document.getElementById('message');
  const audio = document.getElementById('audio');
  let ticket = null, heartbeat = null, hls = null, playing = false;

  const say = (text) => { message.textContent = text; };
  const api = async (path, body) => {
    const res = await fetch('/api/v1/spaces/' + id + path, body === undefined ? {} : {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
    });
    const data = res.status === 204 ? {} : await res.json().catch(() => ({}));
    if (!res.ok) throw new Error((data.error && data.error.message) || 'The server said ' + res.status + '.');
    return data;
  };
  const withTicket = (url) => {
    const u = new URL(url, location.href);
    if (u.pathname.startsWith('/live/')) u.searchParams.set('ticket', ticket);
    return u.toString();
  };
  const pickLevel = (levels, codec) => levels.findIndex((l) => (l.audioCodec || l.codecs || '').includes(codec));

  async function join() {
    const admission = await api('/listen', {});
    ticket = admission.ticket;
    clearInterval(heartbeat);
    heartbeat = setInterval(() => {
      api('/heartbeat', { ticket }).then((r) => { ticket = r.ticket; }).catch((e) => say(e.message));
    }, admission.heartbeatSeconds * 1000);
    return '/live/' + id + '/index.m3u8?ticket=' + encodeURIComponent(ticket);
  }

  async function start() {
    const native = audio.canPlayType('application/vnd.apple.mpegurl') !== '';
    const mse = typeof Hls !== 'undefined' && Hls.isSupported();
    const opusMse = !!window.MediaSource && MediaSource.isTypeSupported('audio/mp4; codecs="opus"');
    if (!mse && !native) {
      say('This browser cannot play live audio: it has neither Media Source Extensions nor native HLS. ' +
        'Open the space in a recent Chrome, Edge, Firefox or Safari.');
      root.dataset.player = 'none';
      return;
    }
    button.disabled = true;
    say('Connecting…');
    const url = await join();
    if (mse && (opusMse || !native)) {
      // hls.js: Opus where MSE plays it (smaller, and without the AAC encoder's lookahead), else AAC.
      const codec = opusMse ? 'opus' : 'mp4a';
      root.dataset.player = 'hls.js'; root.dataset.codec = codec;
      hls = new Hls({ lowLatencyMode: true, backBufferLength: 10,
        xhrSetup: (xhr, u) => xhr.open('GET', withTicket(u), true) });
      hls.on(Hls.Events.MANIFEST_PARSED, (_e, data) => {
        const level = pickLevel(data.levels, codec);
        if (level >= 0) hls.currentLevel = level;
      });
      hls.on(Hls.Events.ERROR, (_e, data) => {
        if (!data.fatal) return;
        if (data.type === Hls.ErrorTypes.MEDIA_ERROR) hls.recoverMediaError();
        else { say('The stream stopped; reconnecting…'); setTimeout(() => hls && hls.startLoad(), 2000); }
      });
      hls.loadSource(url);
      hls.attachMedia(audio);
    } else {
      // Native HLS (Safari: it picks the AAC-LC rendition, listed first). A new ticket needs a new URL.
      root.dataset.player = 'native'; root.dataset.codec = 'mp4a';
      audio.src = url;
      audio.onerror = () => { if (playing) join().then((u) => { audio.src = u; return audio.play(); }).catch((e) => say(e.message)); };
    }
    await audio.play();
    playing = true;
    button.textContent = 'Stop'; button.disabled = false;
    say('');
  }

  function stop() {
    playing = false;
    clearInterval(heartbeat);
    if (hls) { hls.destroy(); hls = null; }
    audio.removeAttribute('src'); audio.load();
    if (ticket) api('/leave', { ticket }).catch(() => {});
    ticket = null;
    button.textContent = 'Listen';
  }

  button.addEventListener('click', () => {
    if (playing) stop();
    else start().catch((e) => { button.disabled = false; say(e.message); });
  });

  // The live count and state, from the cacheable space view.
  setInterval(() => {
    api('').then((v) => {
      if (v.state === 'live') { statusEl.textContent = 'LIVE · ' + v.listenerCount + ' listening'; return; }
      statusEl.textContent = v.state === 'scheduled' ? 'Scheduled' : v.state === 'backstage' ? 'Starting soon' : 'Ended';
      statusEl.className = 'status';
      if (v.state !== 'scheduled' && v.state !== 'backstage') { if (playing) stop(); button.disabled = true; }
    }).catch(() => {});
  }, 10000);
})();`;
