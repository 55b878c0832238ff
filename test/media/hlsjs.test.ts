/**
 * A real player: hls.js in Debian's Chromium plays a live space in lowLatencyMode, and an AnalyserNode on
 * the page finds the speaker's 440 Hz tone.
 */
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { SpeakerBot } from '../../src/bot/index.js';
import type { RostraNode } from '../../src/server/RostraNode.js';
import { launchChromium } from '../../src/testing/Browser.js';
import { openTestNode, signUp } from '../../src/testing/TestNode.js';

const HLS_JS = fileURLToPath(new URL('../../node_modules/hls.js/dist/hls.min.js', import.meta.url));
let node: RostraNode;
let browser: Browser;
let bot: SpeakerBot;

before(async () => {
  node = await openTestNode({ webDist: null });
  await node.listen();
  browser = await launchChromium();
});
after(async () => {
  await bot?.stop();
  await browser?.close();
  await node.close();
});

test('hls.js (lowLatencyMode) plays the live mix in Chromium; the analyser hears 440 Hz', async () => {
  const base = `http://127.0.0.1:${node.http.port}`;
  const host = await signUp(node, 'host');
  const spaceId = (await host.client.post<{ id: string }>('/api/v1/spaces', { title: 'Player' })).body.id;
  bot = new SpeakerBot({
    whipUrl: `${base}/api/v1/spaces/${spaceId}/whip`,
    token: host.token,
    audio: { kind: 'tone', frequencyHz: 440, levelDbfs: -12 },
  });
  await bot.start();

  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(`${base}/healthz`); // same origin: /listen's ticket cookie then rides on hls.js requests
  await page.addScriptTag({ path: HLS_JS });
  const result = await page.evaluate(
    async ({ listenUrl }) => {
      type HlsCtor = {
        new (cfg: object): {
          loadSource(u: string): void;
          attachMedia(m: HTMLMediaElement): void;
          on(e: string, f: (ev: string, data: { fatal?: boolean; details?: string }) => void): void;
          latency?: number;
        };
        isSupported(): boolean;
        Events: { ERROR: string };
      };
      const Hls = (window as unknown as { Hls: HlsCtor }).Hls;
      if (!Hls.isSupported()) return { error: 'hls.js not supported' };
      const admission = (await (
        await fetch(listenUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{}',
        })
      ).json()) as { playlistUrl: string };
      const audio = document.createElement('audio');
      document.body.append(audio);
      const hls = new Hls({ lowLatencyMode: true });
      const fatal: string[] = [];
      hls.on(Hls.Events.ERROR, (_e, data) => {
        if (data.fatal) fatal.push(data.details ?? 'fatal');
      });
      hls.loadSource(new URL(admission.playlistUrl).pathname);
      hls.attachMedia(audio);
      await audio.play();
      const ctx = new AudioContext();
      const analyser = ctx.createAnalyser();
      analyser.fftSize = 8192;
      ctx.createMediaElementSource(audio).connect(analyser);
      analyser.connect(ctx.destination);
      const bins = new Float32Array(analyser.frequencyBinCount);
      const peaks: number[] = [];
      for (let i = 0; i < 40 && peaks.filter((p) => Math.abs(p - 440) < 10).length < 5; i++) {
        await new Promise((r) => setTimeout(r, 250));
        analyser.getFloatFrequencyData(bins);
        let best = 0;
        for (let k = 1; k < bins.length; k++) if ((bins[k] as number) > (bins[best] as number)) best = k;
        if ((bins[best] as number) > -80) peaks.push((best * ctx.sampleRate) / analyser.fftSize);
      }
      return { peaks, fatal, currentTime: audio.currentTime, latency: hls.latency ?? null };
    },
    { listenUrl: `${base}/api/v1/spaces/${spaceId}/listen` },
  );
  assert.deepEqual(errors, []);
  assert.ok(!('error' in result), JSON.stringify(result));
  const r = result as { peaks: number[]; fatal: string[]; currentTime: number; latency: number | null };
  assert.deepEqual(r.fatal, []);
  assert.ok(r.currentTime > 0, 'playback advances');
  const at440 = r.peaks.filter((p) => Math.abs(p - 440) < 10).length;
  console.log(
    `hls.js: peaks ${r.peaks.map((p) => p.toFixed(0)).join(',')} Hz; player latency ${r.latency?.toFixed(2)} s`,
  );
  assert.ok(at440 >= 5, `the analyser found 440 Hz: ${JSON.stringify(r.peaks)}`);
  await page.close();
});
