/**
 * New parts of the experience in Chromium: pinned posts seen live by a listener (and refused when they are
 * not web links), and replays that can be found: "Recent recordings" on the home page, the player's
 * ±15 s, speed and link to a moment (`/r/{id}?t=`), with the space's pins under it. The recording is a
 * real one (real Opus parts through the recorder), made without a bot so the test stays short.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  apiCall,
  apiSignUp,
  hostSpace,
  openBrowserNode,
  recordReplay,
  recordTone,
  shots,
  userPage,
  type BrowserNode,
} from './browser.js';

const T = { timeout: 20_000 };

describe('web app: pins and replays', () => {
  let app: BrowserNode;
  before(async () => {
    app = await openBrowserNode('replay');
  });
  after(() => app?.close());

  test('the host pins a link; a listener sees it appear and go; a javascript: link is refused', async () => {
    const { host, id } = await hostSpace(app.base, 'Pia Pinner', { title: 'Links' });
    const {
      ctx: hostCtx,
      page: hostPage,
      errors: hostErrors,
    } = await userPage(app.browser, app.base, { session: host, micAllowed: false });
    const { ctx: lisCtx, page: lisPage, errors: lisErrors } = await userPage(app.browser, app.base);
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
    const pins = await apiCall<{ pins: { title: string }[] }>(
      app.base,
      null,
      'GET',
      `/api/v1/spaces/${id}/pins`,
    );
    assert.deepEqual(
      pins.pins.map((p) => p.title),
      ['Show notes'],
    );
    await shots(lisPage, 'pinned');

    await hostPage.getByRole('button', { name: 'Unpin Show notes' }).click();
    await link.waitFor({ state: 'detached', ...T });
    assert.deepEqual([...hostErrors, ...lisErrors], []);
    await hostCtx.close();
    await lisCtx.close();
  });

  test('a recording is found on the home page; the player skips ±15 s, changes speed, links to a moment', async () => {
    const { host, id } = await hostSpace(app.base, 'Rita Replay', { title: 'Forty seconds of A' });
    await apiCall(app.base, host.token, 'POST', `/api/v1/spaces/${id}/pins`, {
      title: 'Sources',
      url: 'https://example.org/sources',
    });
    // 40 s of a 440 Hz tone through the real recorder, then the end, as the media plane would do it.
    await recordReplay(app, host, id, 440, 40);

    const { ctx, page, errors } = await userPage(app.browser, app.base);
    await page.goto('/');
    const card = page.getByRole('article', { name: 'Forty seconds of A' });
    await card.waitFor(T);
    await card.getByText('Recording · 0:40').waitFor(T);
    await shots(page, 'home-recent');
    await card.getByRole('link', { name: 'Forty seconds of A' }).click();
    await page.waitForURL(`${app.base}/r/${id}`, T);
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
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), `${app.base}/r/${id}?t=20`);
    await shots(page, 'replay-player');
    assert.deepEqual(errors, []);
    await ctx.close();
  });

  test('the host’s analytics page: a scripted audience of 3 gives a peak of exactly 3, and a curve', async () => {
    const { host, id } = await hostSpace(app.base, 'Ana Lytics', { title: 'Numbers' });
    for (let i = 0; i < 3; i++) await apiCall(app.base, null, 'POST', `/api/v1/spaces/${id}/listen`, {});
    await app.node.analytics.sample();
    const { ctx, page, errors } = await userPage(app.browser, app.base, { session: host, micAllowed: false });
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
    const other = await apiSignUp(app.base, 'Nosy Parker');
    const { ctx: otherCtx, page: otherPage } = await userPage(app.browser, app.base, { session: other });
    await otherPage.goto(`/s/${id}/analytics`);
    await otherPage.getByRole('alert').getByText('Only the host can do this.').waitFor(T);
    assert.deepEqual(errors, []);
    await otherCtx.close();
    await ctx.close();
  });

  test('the mini player keeps a space playing while the listener browses, and hands it back', async () => {
    const { id } = await hostSpace(app.base, 'Milo Mini', { title: 'Keep playing' });
    const present = () => app.node.bus.presence.count(`listeners:${id}`);
    const { ctx, page, errors } = await userPage(app.browser, app.base);
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
    const { id } = await hostSpace(app.base, 'Tim Shift', { title: 'Catch up' });
    // Twelve seconds already recorded (real Opus through the recorder), the space still live.
    const { packager } = await recordTone(app.node, id, 440, 12);
    const present = () => app.node.bus.presence.count(`listeners:${id}`);

    const { ctx, page, errors } = await userPage(app.browser, app.base);
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
