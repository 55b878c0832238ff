/**
 * New parts of the experience in Chromium: pinned posts seen live by a listener (and refused when they are
 * not web links), and replays that can be found: "Recent recordings" on the home page, the player's
 * ±15 s, speed and link to a moment (`/r/{id}?t=`), with the space's pins under it. The recording is a
 * real one (real Opus parts through the recorder), made without a bot so the test stays short.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { RostraNode } from '../../src/server/RostraNode.js';
import { tonePackager } from '../../src/testing/recordingTestKit.js';
import { openTestNode } from '../../src/testing/TestNode.js';
import { apiCall, apiSignUp, launchBrowser, pageErrors, shotPath, userContext } from './browser.js';

const T = { timeout: 20_000 };
const VIEWPORTS = [
  { width: 390, height: 844 },
  { width: 1280, height: 800 },
] as const;

async function shots(page: Page, name: string): Promise<void> {
  for (const viewport of VIEWPORTS) {
    await page.setViewportSize(viewport);
    await page.screenshot({ path: shotPath(`${name}-${viewport.width}`), fullPage: true });
  }
}

describe('web app: pins and replays', () => {
  let dir: string;
  let node: RostraNode;
  let base: string;
  let browser: Browser;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rostra-e2e-replay-'));
    node = await openTestNode({ config: { dataDir: dir } });
    await node.listen();
    base = `http://127.0.0.1:${node.http.port}`;
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await node?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('the host pins a link; a listener sees it appear and go; a javascript: link is refused', async () => {
    const host = await apiSignUp(base, 'Pia Pinner');
    const id = (await apiCall<{ id: string }>(base, host.token, 'POST', '/api/v1/spaces', { title: 'Links' }))
      .id;
    const hostCtx = await userContext(browser, base, { session: host, micAllowed: false });
    const hostPage = await hostCtx.newPage();
    const lisCtx = await userContext(browser, base);
    const lisPage = await lisCtx.newPage();
    const errors = [...pageErrors(hostPage), ...pageErrors(lisPage)];
    await lisPage.goto(`/s/${id}`);
    await lisPage.locator('.listener-count').waitFor(T);
    assert.equal(await lisPage.locator('.pins').count(), 0, 'no pins, no box for listeners');

    await hostPage.goto(`/s/${id}`);
    await hostPage.getByRole('button', { name: 'Pin a link' }).click();
    await hostPage.getByLabel('Link title').fill('Trap');
    await hostPage.getByLabel('Link (http or https)').fill('javascript:alert(1)');
    await hostPage.getByRole('button', { name: 'Pin', exact: true }).click();
    await hostPage
      .getByRole('alert')
      .getByText('Give a link that starts with http:// or https://.')
      .waitFor(T);
    await hostPage.getByLabel('Link title').fill('Show notes');
    await hostPage.getByLabel('Link (http or https)').fill('https://example.org/notes');
    await hostPage.getByRole('button', { name: 'Pin', exact: true }).click();

    const link = lisPage
      .getByRole('list', { name: 'Pinned links' })
      .getByRole('link', { name: 'Show notes' });
    await link.waitFor(T);
    assert.equal(await link.getAttribute('href'), 'https://example.org/notes');
    assert.equal(await link.getAttribute('rel'), 'noopener noreferrer nofollow ugc');
    await lisPage.getByText('example.org · pinned by Pia Pinner').waitFor(T);
    assert.equal(await lisPage.getByRole('button', { name: /Unpin/ }).count(), 0, 'listeners cannot unpin');
    const pins = await apiCall<{ pins: { title: string }[] }>(base, null, 'GET', `/api/v1/spaces/${id}/pins`);
    assert.deepEqual(
      pins.pins.map((p) => p.title),
      ['Show notes'],
    );
    await shots(lisPage, 'pinned');

    await hostPage.getByRole('button', { name: 'Unpin Show notes' }).click();
    await link.waitFor({ state: 'detached', ...T });
    assert.deepEqual(errors, []);
    await hostCtx.close();
    await lisCtx.close();
  });

  test('a recording is found on the home page; the player skips ±15 s, changes speed, links to a moment', async () => {
    const host = await apiSignUp(base, 'Rita Replay');
    const id = (
      await apiCall<{ id: string }>(base, host.token, 'POST', '/api/v1/spaces', {
        title: 'Forty seconds of A',
      })
    ).id;
    await apiCall(base, host.token, 'POST', `/api/v1/spaces/${id}/pins`, {
      title: 'Sources',
      url: 'https://example.org/sources',
    });
    // 40 s of a 440 Hz tone through the real recorder, then the end, as the media plane would do it.
    const space = await node.store.spaces.get(id);
    assert.ok(space && node.recordings);
    const { packager, push } = tonePackager(440, Date.now());
    await node.recordings.started(space, { packager, startedAtMs: Date.now() });
    push(40);
    await apiCall(base, host.token, 'POST', `/api/v1/spaces/${id}/end`);
    packager.end();
    await node.recordings.ended(id);

    const ctx = await userContext(browser, base);
    const page = await ctx.newPage();
    const errors = pageErrors(page);
    await page.goto('/');
    const card = page.getByRole('article', { name: 'Forty seconds of A' });
    await card.waitFor(T);
    await card.getByText('Recording · 0:40').waitFor(T);
    await shots(page, 'home-recent');
    await card.getByRole('link', { name: 'Forty seconds of A' }).click();
    await page.waitForURL(`${base}/r/${id}`, T);
    await page.getByRole('list', { name: 'Pinned links' }).getByRole('link', { name: 'Sources' }).waitFor(T);

    // A link to a moment starts there.
    await page.goto(`/r/${id}?t=20`);
    const times = page.locator('.times span').first();
    await page.waitForFunction(
      () => document.querySelector('.times span')?.textContent === '0:20',
      undefined,
      T,
    );
    await page.getByRole('button', { name: 'Forward 15 seconds' }).click();
    await page.waitForFunction(
      () => document.querySelector('.times span')?.textContent === '0:35',
      undefined,
      T,
    );
    await page.getByRole('button', { name: 'Back 15 seconds' }).click();
    await page.waitForFunction(
      () => document.querySelector('.times span')?.textContent === '0:20',
      undefined,
      T,
    );
    assert.equal(await times.innerText(), '0:20');
    await page.getByLabel('Speed').selectOption('1.5');
    const rate = await page.evaluate(
      () => (document.querySelector('audio[data-audio="replay"]') as HTMLAudioElement | null)?.playbackRate,
    );
    assert.equal(rate, 1.5);
    await page.getByRole('button', { name: 'Copy link to 0:20' }).click();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), `${base}/r/${id}?t=20`);
    await shots(page, 'replay-player');
    assert.deepEqual(errors, []);
    await ctx.close();
  });

  test('the host’s analytics page: a scripted audience of 3 gives a peak of exactly 3, and a curve', async () => {
    const host = await apiSignUp(base, 'Ana Lytics');
    const id = (
      await apiCall<{ id: string }>(base, host.token, 'POST', '/api/v1/spaces', { title: 'Numbers' })
    ).id;
    for (let i = 0; i < 3; i++) await apiCall(base, null, 'POST', `/api/v1/spaces/${id}/listen`, {});
    await node.analytics.sample();
    const ctx = await userContext(browser, base, { session: host, micAllowed: false });
    const page = await ctx.newPage();
    const errors = pageErrors(page);
    await page.goto(`/s/${id}/analytics`);
    await page.getByRole('heading', { name: 'Space analytics' }).waitFor(T);
    const figure = (key: string) => page.locator(`.figure[data-figure="${key}"] dd`);
    await figure('peak').waitFor(T);
    assert.equal(await figure('peak').innerText(), '3');
    assert.equal(await figure('unique').innerText(), '3');
    assert.equal(await figure('now').innerText(), '3');
    assert.equal(await figure('speakers').innerText(), '1');
    await page.getByRole('img', { name: 'Listeners over time, peak 3' }).waitFor(T);
    await shots(page, 'analytics');
    // Someone else is refused, in words.
    const other = await apiSignUp(base, 'Nosy Parker');
    const otherCtx = await userContext(browser, base, { session: other });
    const otherPage = await otherCtx.newPage();
    await otherPage.goto(`/s/${id}/analytics`);
    await otherPage.getByRole('alert').getByText('Only the host can do this.').waitFor(T);
    assert.deepEqual(errors, []);
    await otherCtx.close();
    await ctx.close();
  });

  test('the mini player keeps a space playing while the listener browses, and hands it back', async () => {
    const host = await apiSignUp(base, 'Milo Mini');
    const id = (
      await apiCall<{ id: string }>(base, host.token, 'POST', '/api/v1/spaces', { title: 'Keep playing' })
    ).id;
    const present = () => node.bus.presence.count(`listeners:${id}`);
    const ctx = await userContext(browser, base);
    const page = await ctx.newPage();
    const errors = pageErrors(page);
    await page.goto(`/s/${id}`);
    await page.waitForFunction(
      () => {
        const el = document.querySelector<HTMLAudioElement>('audio[data-audio="hls"]');
        return el !== null && !el.paused && el.currentTime > 0;
      },
      undefined,
      T,
    );
    assert.equal(await present(), 1);

    await page.getByRole('link', { name: '← All spaces' }).click();
    await page.getByRole('heading', { name: 'Live now' }).waitFor(T);
    const mini = page.getByRole('complementary', { name: 'Now playing' });
    await mini.getByRole('link', { name: 'Back to Keep playing' }).waitFor(T);
    // The same element plays on: its clock moves while the home page is shown.
    const t0 = await page.evaluate(
      () => document.querySelector<HTMLAudioElement>('audio[data-audio="hls"]')?.currentTime ?? -1,
    );
    await page.waitForFunction(
      (t) =>
        (document.querySelector<HTMLAudioElement>('audio[data-audio="hls"]')?.currentTime ?? -1) > t + 0.5,
      t0,
      T,
    );
    assert.equal(await present(), 1, 'still counted, once');
    await shots(page, 'mini-player');

    // Back to the space: the page takes the player and the seat back; still one listener.
    await mini.getByRole('link', { name: 'Back to Keep playing' }).click();
    await page.getByRole('heading', { name: 'Keep playing' }).waitFor(T);
    assert.equal(await page.locator('audio[data-audio="hls"]').count(), 1, 'one player, not two');
    assert.equal(await present(), 1);

    // Browse away again and close it: silence, and no longer counted.
    await page.getByRole('link', { name: '← All spaces' }).click();
    await mini.getByRole('button', { name: 'Stop listening' }).click();
    await mini.waitFor({ state: 'detached', ...T });
    assert.equal(await page.locator('audio[data-audio="hls"]').count(), 0);
    for (let i = 0; i < 100 && (await present()) !== 0; i++) await page.waitForTimeout(50);
    assert.equal(await present(), 0);
    assert.deepEqual(errors, []);
    await ctx.close();
  });

  test('time-shift: a late listener starts from the beginning while it is live, then goes back to live', async () => {
    const host = await apiSignUp(base, 'Tim Shift');
    const id = (
      await apiCall<{ id: string }>(base, host.token, 'POST', '/api/v1/spaces', { title: 'Catch up' })
    ).id;
    // Twelve seconds already recorded (real Opus through the recorder), the space still live.
    const space = await node.store.spaces.get(id);
    assert.ok(space && node.recordings);
    const { packager, push } = tonePackager(440, Date.now());
    await node.recordings.started(space, { packager, startedAtMs: Date.now() });
    push(12);
    const present = () => node.bus.presence.count(`listeners:${id}`);

    const ctx = await userContext(browser, base);
    const page = await ctx.newPage();
    const errors = pageErrors(page);
    await page.goto(`/s/${id}`);
    await page.locator('audio[data-audio="hls"]').waitFor({ state: 'attached', ...T });
    await page.getByRole('button', { name: 'Start from the beginning' }).click();
    await page.getByRole('heading', { name: 'Listening from the beginning' }).waitFor(T);
    await page.waitForFunction(
      () => {
        const el = document.querySelector<HTMLAudioElement>('audio[data-audio="replay"]');
        return el !== null && !el.paused && el.currentTime > 0.2 && el.currentTime < 6;
      },
      undefined,
      T,
    );
    assert.equal(await page.locator('audio[data-audio="hls"]').count(), 0, 'the live player rests');
    assert.equal(await present(), 1, 'still counted as a listener');
    await shots(page, 'timeshift');

    await page.getByRole('button', { name: 'Back to live' }).click();
    await page.locator('audio[data-audio="hls"]').waitFor({ state: 'attached', ...T });
    assert.equal(await page.locator('audio[data-audio="replay"]').count(), 0);
    await page.getByRole('button', { name: 'Start from the beginning' }).waitFor(T);
    assert.equal(await present(), 1);
    assert.deepEqual(errors, []);
    await ctx.close();
    packager.end();
  });
});
