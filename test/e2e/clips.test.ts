/**
 * Clips in Chromium: an anonymous listener in a live space taps "Clip", gets the link, opens the clip's
 * page, and its plain <audio> element loads the 30 s clip (AAC-LC, as a node with the AAC rendition makes
 * it); the page's HTML carries the link-preview card. The live recording is a real one (real Opus and AAC
 * parts through the node's recorder), fed faster than real time so the test does not wait 30 s.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { aacDirOf } from '../../src/recording/AacRecording.js';
import { readRecorded } from '../../src/recording/ClipFile.js';
import { toneAac, tonePackager } from '../../src/testing/recordingTestKit.js';
import { until } from '../../src/testing/until.js';
import {
  apiCall,
  DESKTOP,
  hostSpace,
  openBrowserNode,
  PHONE,
  recordReplay,
  shots,
  userPage,
  type BrowserNode,
} from './browser.js';

const T = { timeout: 30_000 };

describe('web app: clips', () => {
  let app: BrowserNode;
  before(async () => {
    app = await openBrowserNode('clips');
  });
  after(() => app?.close());

  test('a listener clips the last 30 s of a live space, opens the clip page, and the <audio> loads it', async () => {
    const { id } = await hostSpace(app.base, 'Cleo Clipper', { title: 'Worth a clip' });
    // 33 s of the live space recorded (Opus and AAC), as the media plane's recorder writes it.
    const { node } = app;
    const space = await node.store.spaces.get(id);
    assert.ok(space && node.recordings);
    const startedAtMs = Date.now();
    const opus = tonePackager(440, startedAtMs);
    const aac = toneAac(440, startedAtMs);
    await node.recordings.started(space, {
      packager: opus.packager,
      startedAtMs,
      aac: { packager: aac.packager },
    });
    opus.push(33);
    aac.push(33);
    await until(
      '32 s of AAC recorded',
      async () =>
        ((await readRecorded(aacDirOf(join(app.dir, 'recordings', id))))?.totalSamples ?? 0) >= 32 * 48_000,
      120_000, // a deadline for a busy machine: the AAC encoder is a WASM worker
    );

    const { ctx, page, errors } = await userPage(app.browser, app.base, { viewport: PHONE });
    try {
      await page.goto(`/s/${id}`);
      await page.locator('.listener-count').waitFor(T);
      const clip = page.getByRole('button', { name: 'Clip the last 30 s' });
      await clip.waitFor(T);
      await clip.click();
      const link = page.getByLabel('Link to the clip');
      await link.waitFor(T);
      const url = await link.inputValue();
      const clipId = /\/c\/([A-Za-z0-9_-]{22})$/.exec(url)?.[1];
      assert.ok(clipId, url);
      assert.equal(url, `${app.base}/c/${clipId}`);
      await page.getByRole('button', { name: 'Copy link' }).click();
      assert.equal(await page.evaluate(() => navigator.clipboard.readText()), url);
      await shots(page, 'clip-made');

      // The clip's page, as a crawler sees it: the card is in the HTML.
      const html = await (await fetch(url, { headers: { accept: 'text/html' } })).text();
      assert.match(html, /<meta property="og:title" content="Worth a clip" \/>/);
      assert.match(
        html,
        /<meta property="og:description" content="A 30 s clip of a space hosted by Cleo Clipper/,
      );
      assert.match(
        html,
        new RegExp(`<meta property="og:audio" content="[^"]+/replay/${id}/clips/${clipId}\\.m4a"`),
      );
      assert.match(html, /<meta property="og:audio:type" content="audio\/mp4" \/>/);

      await page.setViewportSize(DESKTOP);
      await page.getByRole('link', { name: 'Open clip' }).click();
      await page.waitForURL(url, T);
      await page.getByRole('heading', { name: 'Worth a clip' }).waitFor(T);
      await page.getByText('clipped by a listener').waitFor(T);
      const audio = page.getByTestId('clip-audio');
      await audio.waitFor(T);
      // The browser itself decoded enough of the file to play: HAVE_CURRENT_DATA or better.
      await page.waitForFunction(
        () => {
          const a = document.querySelector('audio[data-testid="clip-audio"]') as HTMLAudioElement | null;
          return a !== null && a.readyState >= 2 && Number.isFinite(a.duration);
        },
        undefined,
        T,
      );
      const state = await page.evaluate(() => {
        const a = document.querySelector('audio[data-testid="clip-audio"]') as HTMLAudioElement;
        return { readyState: a.readyState, duration: a.duration, error: a.error?.code ?? null };
      });
      assert.equal(state.error, null);
      assert.ok(state.readyState >= 2);
      assert.ok(Math.abs(state.duration - 30) < 0.2, `the <audio> says ${state.duration} s`);
      await page.getByRole('button', { name: 'Copy link' }).waitFor(T);
      assert.equal(
        await page.getByRole('button', { name: 'Delete clip' }).count(),
        0,
        'not theirs to delete',
      );
      await shots(page, 'clip-page');
      assert.deepEqual(errors, []);
    } finally {
      await ctx.close();
      opus.packager.end();
      await aac.end();
      aac.close();
    }
  });

  test('on a replay: the host clips the 30 s before the player’s position (Opus), opens it, and deletes it', async () => {
    const { host, id } = await hostSpace(app.base, 'Rhea Replay', { title: 'Replayed clip' });
    await recordReplay(app, host, id, 660, 40);

    const { ctx, page, errors } = await userPage(app.browser, app.base, { session: host, micAllowed: false });
    try {
      await page.goto(`/r/${id}?t=35`);
      const button = page.getByRole('button', { name: 'Clip 30 s to 0:35' });
      await button.waitFor(T);
      await button.click();
      const url = await page.getByLabel('Link to the clip').inputValue();
      const clipId = /\/c\/([A-Za-z0-9_-]{22})$/.exec(url)?.[1];
      assert.ok(clipId, url);
      const clip = await apiCall<{ startSeconds: number; durationSeconds: number; codec: string }>(
        app.base,
        null,
        'GET',
        `/api/v1/clips/${clipId}`,
      );
      assert.equal(clip.codec, 'opus');
      assert.equal(clip.startSeconds, 5);
      assert.ok(Math.abs(clip.durationSeconds - 30) < 0.03, `${clip.durationSeconds} s`);
      await shots(page, 'clip-replay');

      await page.getByRole('link', { name: 'Open clip' }).click();
      await page.waitForURL(url, T);
      await page.waitForFunction(
        () => {
          const a = document.querySelector('audio[data-testid="clip-audio"]') as HTMLAudioElement | null;
          return a !== null && a.readyState >= 2 && Number.isFinite(a.duration);
        },
        undefined,
        T,
      );
      const duration = await page.evaluate(
        () => (document.querySelector('audio[data-testid="clip-audio"]') as HTMLAudioElement).duration,
      );
      assert.ok(Math.abs(duration - 30) < 0.2, `the <audio> says ${duration} s`);
      page.once('dialog', (d) => void d.accept());
      await page.getByRole('button', { name: 'Delete clip' }).click();
      await page.waitForURL(`${app.base}/s/${id}`, T);
      const gone = await fetch(`${app.base}/api/v1/clips/${clipId}`);
      assert.equal(gone.status, 410);
      await page.goto(`/c/${clipId}`);
      await page.getByRole('heading', { name: 'This clip is gone' }).waitFor(T);
      await shots(page, 'clip-gone');
      assert.deepEqual(errors, []);
    } finally {
      await ctx.close();
    }
  });
});
