/**
 * Cross-origin listening in a real browser (Debian Chromium): a page on another origin (a second loopback
 * server, on `localhost` while Rostra is on `127.0.0.1`, so not even the site is shared) plays a live space
 * (a bot speaking 440 Hz) through the embed in an <iframe>, and through CORS with hls.js itself. Each
 * player's <audio> is tapped with an AnalyserNode (audioProbe.ts): the tone must be heard, not just a
 * clock running.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import type { Browser, Frame, Page } from 'playwright-core';
import { SpeakerBot } from '../../src/bot/index.js';
import type { RostraNode } from '../../src/server/RostraNode.js';
import { launchChromium } from '../../src/testing/Browser.js';
import { openTestNode, signUp } from '../../src/testing/TestNode.js';
import { until } from '../../src/testing/until.js';
import { PROBE_SCRIPT, type ToneLevels } from './audioProbe.js';

let node: RostraNode;
let rostra: string;
let spaceId: string;
let bot: SpeakerBot;
let site: Server;
let siteUrl: string;
let browser: Browser;

/** The other site's pages: one frames the embed, one plays with hls.js over CORS. */
function pages(): Record<string, string> {
  return {
    '/iframe.html': `<!doctype html><title>Another site</title>
<iframe id="player" src="${rostra}/embed/${spaceId}" width="480" height="200" allow="autoplay"></iframe>`,
    '/cors.html': `<!doctype html><title>Another site, its own player</title>
<audio id="audio" data-audio="cors"></audio>
<script src="${rostra}/embed/hls.min.js"></script>
<script>
(async () => {
  const res = await fetch('${rostra}/api/v1/spaces/${spaceId}/listen', {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}',
  });
  const { ticket } = await res.json();
  const hls = new Hls({ lowLatencyMode: true });
  window.__hls = hls;
  hls.on(Hls.Events.MANIFEST_PARSED, (_e, data) => {
    window.__levels = data.levels.map((l) => l.audioCodec);
    hls.currentLevel = data.levels.findIndex((l) => (l.audioCodec || '').includes('opus'));
  });
  hls.on(Hls.Events.ERROR, (_e, data) => { if (data.fatal) window.__error = data.details; });
  hls.loadSource('${rostra}/live/${spaceId}/index.m3u8?ticket=' + encodeURIComponent(ticket));
  hls.attachMedia(document.getElementById('audio'));
  await document.getElementById('audio').play();
})().catch((e) => { window.__error = String(e); });
</script>`,
  };
}

before(async () => {
  node = await openTestNode({ config: { media: { partTargetMs: 200, segmentTargetS: 1 } }, webDist: null });
  await node.listen();
  rostra = `http://127.0.0.1:${node.http.port}`;
  const host = await signUp(node, 'host');
  spaceId = (await host.client.post<{ id: string }>('/api/v1/spaces', { title: 'Embedded' })).body.id;
  bot = new SpeakerBot({
    whipUrl: `${rostra}/api/v1/spaces/${spaceId}/whip`,
    token: host.token,
    audio: { kind: 'tone', frequencyHz: 440, levelDbfs: -12 },
  });
  await bot.start();
  site = createServer((req, res) => {
    const body = pages()[req.url ?? ''];
    res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(body ?? 'not found');
  });
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
  siteUrl = `http://localhost:${(site.address() as AddressInfo).port}`;
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => site?.close(resolve));
  await bot?.stop();
  await node?.close();
});

/** Polls the probe in `where` until 440 Hz stands out; returns the last levels (a deadline, not a bound). */
async function hears440(where: Page | Frame, kind: string): Promise<ToneLevels> {
  let last: ToneLevels | undefined;
  return until(
    () => `no 440 Hz in ${kind}: ${JSON.stringify(last)}`,
    async () => {
      const levels = (await where.evaluate(() =>
        (window as unknown as { __probe: { levels(f: number[]): unknown } }).__probe.levels([440, 1000]),
      )) as ToneLevels[];
      last = levels.find((l) => l.kind === kind);
      const db = last?.db;
      if (db && (db['440'] ?? -200) > -60 && (db['440'] ?? -200) > (db['1000'] ?? -200) + 20)
        return last as ToneLevels;
      const error = await where.evaluate(() => (window as unknown as { __error?: string }).__error);
      assert.equal(error, undefined, 'the player failed');
      return undefined;
    },
    { timeoutMs: 60_000, everyMs: 250 },
  );
}

test('a page on another origin plays the live space through the embed <iframe>', async () => {
  const context = await browser.newContext();
  try {
    await context.addInitScript(PROBE_SCRIPT); // every frame, the embed's included
    const page = await context.newPage();
    await page.goto(`${siteUrl}/iframe.html`);
    const frame = await (await page.waitForSelector('#player')).contentFrame();
    assert.ok(frame, 'the embed loaded in the frame');
    await frame.waitForSelector('#listen:not([disabled])');
    assert.match((await frame.textContent('h1')) ?? '', /Embedded/);
    assert.match((await frame.textContent('#status')) ?? '', /LIVE · \d+ listening/);
    await frame.click('#listen');
    await hears440(frame, 'embed');
    const root = await frame.$eval('#embed', (el) => ({ ...(el as HTMLElement).dataset }));
    assert.equal(root.player, 'hls.js', 'Chromium plays with hls.js');
    assert.equal(root.codec, 'opus', 'and keeps the Opus rendition');
    assert.equal(await frame.textContent('#listen'), 'Stop');
  } finally {
    await context.close();
  }
});

test('a page on another origin plays the live space with its own hls.js, through CORS and ?ticket=', async () => {
  const context = await browser.newContext();
  try {
    await context.addInitScript(PROBE_SCRIPT);
    const page = await context.newPage();
    await page.goto(`${siteUrl}/cors.html`);
    await hears440(page, 'cors');
    const codecs = await page.evaluate(() => (window as unknown as { __levels?: string[] }).__levels);
    assert.deepEqual(codecs?.slice().sort(), ['mp4a.40.2', 'opus'], 'both renditions reach hls.js');
    const playing = await page.evaluate(() => {
      const hls = (
        window as unknown as { __hls: { levels: { audioCodec?: string }[]; currentLevel: number } }
      ).__hls;
      return hls.levels[hls.currentLevel]?.audioCodec;
    });
    assert.equal(playing, 'opus');
  } finally {
    await context.close();
  }
});

test('a browser with neither MSE nor native HLS is told so in the embed, not left silent', async () => {
  const context = await browser.newContext();
  try {
    await context.addInitScript(() => {
      for (const name of ['MediaSource', 'ManagedMediaSource', 'WebKitMediaSource'])
        Object.defineProperty(window, name, { value: undefined, configurable: true });
      HTMLMediaElement.prototype.canPlayType = () => '';
    });
    const page = await context.newPage();
    await page.goto(`${siteUrl}/iframe.html`);
    const frame = await (await page.waitForSelector('#player')).contentFrame();
    assert.ok(frame);
    await frame.waitForSelector('#listen:not([disabled])');
    await frame.click('#listen');
    await frame.waitForFunction(() => (document.getElementById('message')?.textContent ?? '') !== '');
    assert.match(
      (await frame.textContent('#message')) ?? '',
      /cannot play live audio: it has neither Media Source Extensions nor native HLS/,
    );
    assert.equal(await frame.$eval('#embed', (el) => (el as HTMLElement).dataset.player), 'none');
  } finally {
    await context.close();
  }
});
