/**
 * Backstage in Chromium: the host opens the backstage of a scheduled space from its page, and their mic
 * connects under a "listeners can't hear you yet" banner; an anonymous listener who arrives sees "Starting
 * soon" with the waiting count and hears nothing; the host clicks Go live, and the listener's page switches
 * to the live player and hears the host's 440 Hz, without a reload. Screenshots at 390 and 1280 px.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { toneWav } from '../../src/testing/Browser.js';
import { PROBE_SCRIPT, RAW_MIC_SCRIPT, type ToneLevels } from './audioProbe.js';
import { hostSpace, openBrowserNode, shots, userPage, type BrowserNode } from './browser.js';

const HOST_HZ = 440;
/** A tone counts as heard at this analyser level (dB) or more. */
const PRESENT_DB = -55;
const T = { timeout: 30_000 };

/** Polls the page's probe until the host's tone is heard over HLS (a deadline for a busy machine). */
async function hearsHost(page: Page): Promise<ToneLevels[]> {
  const deadline = Date.now() + 60_000;
  let last: ToneLevels[] = [];
  while (Date.now() < deadline) {
    last = (await page.evaluate(`window.__probe.levels([${HOST_HZ}])`)) as ToneLevels[];
    if (last.some((l) => l.kind === 'hls' && (l.db[HOST_HZ] ?? -200) >= PRESENT_DB)) return last;
    await page.waitForTimeout(250);
  }
  return assert.fail(`the listener never heard ${HOST_HZ} Hz over HLS; last probe ${JSON.stringify(last)}`);
}

describe('backstage in the web app', () => {
  let app: BrowserNode;
  /** The host's browser (app.browser) plays the tone; the listener's has the default fake microphone. */
  let listenerBrowser: Browser;
  before(async () => {
    app = await openBrowserNode('backstage', { fakeAudioWav: toneWav(HOST_HZ) });
    listenerBrowser = await app.launch();
  });
  after(() => app?.close());

  test('listeners wait on "Starting soon" with the count; Go live switches them to the live player without a reload', async () => {
    const { host, id } = await hostSpace(app.base, 'Bea Backstage', {
      title: 'Late but ready',
      scheduledFor: new Date(Date.now() + 3_600_000).toISOString(),
    });
    const {
      ctx: hostCtx,
      page: hostPage,
      errors: hostErrors,
    } = await userPage(app.browser, app.base, { session: host, initScript: RAW_MIC_SCRIPT });
    const {
      ctx: lisCtx,
      page: lisPage,
      errors: lisErrors,
    } = await userPage(listenerBrowser, app.base, { initScript: PROBE_SCRIPT });

    // The host opens the backstage from the scheduled page; the mic connects (permission granted).
    await hostPage.goto(`/s/${id}`);
    await hostPage.getByRole('button', { name: 'Open backstage' }).click();
    await hostPage.getByRole('heading', { name: 'Backstage — listeners can’t hear you yet' }).waitFor(T);
    await hostPage.locator('audio[data-audio="webrtc"]').waitFor({ state: 'attached', ...T });
    await hostPage.locator('.mic-panel').waitFor({ state: 'detached', ...T }); // the mic is connected
    assert.equal((await app.node.store.spaces.get(id))?.state, 'backstage');

    // An anonymous listener arrives: "Starting soon", counted as waiting, and no playlist is asked for.
    const playlists: string[] = [];
    lisPage.on('request', (r) => {
      if (r.url().includes(`/live/${id}/`)) playlists.push(r.url());
    });
    // The home page lists it as "Starting soon", under "Coming up".
    await lisPage.goto('/');
    const card = lisPage.locator('.space-card', { hasText: 'Late but ready' });
    await card.waitFor(T);
    assert.equal(await card.locator('.pill', { hasText: 'Starting soon' }).count(), 1);
    await shots(lisPage, 'backstage-home');
    await lisPage.goto(`/s/${id}`);
    await lisPage.evaluate('window.__sameDocument = true');
    await lisPage.getByRole('heading', { name: 'Starting soon' }).waitFor(T);
    await lisPage.getByText('1 listener is waiting').waitFor(T);
    await hostPage.getByText('1 listener is waiting').waitFor(T);
    assert.deepEqual(playlists, [], 'no player before go-live');
    assert.equal(await lisPage.getByRole('button', { name: 'Go live' }).count(), 0);
    await shots(lisPage, 'backstage-listener-waiting');
    await shots(hostPage, 'backstage-host');

    // Go live: the same host page, the same mic connection.
    await hostPage.getByRole('button', { name: 'Go live' }).click();
    await hostPage.getByRole('heading', { name: 'Backstage — listeners can’t hear you yet' }).waitFor({
      state: 'detached',
      ...T,
    });
    assert.equal((await app.node.store.spaces.get(id))?.state, 'live');

    // The listener's page turns live by itself and plays the host.
    await lisPage.locator('.space-head .pill-live').waitFor(T);
    await lisPage.getByRole('heading', { name: 'Starting soon' }).waitFor({ state: 'detached', ...T });
    await hearsHost(lisPage);
    assert.ok(playlists.length > 0, 'the player fetched the live playlist');
    assert.equal(await lisPage.evaluate('window.__sameDocument === true'), true, 'no reload');
    await shots(lisPage, 'backstage-listener-live');
    assert.deepEqual([...hostErrors, ...lisErrors], []);
    await hostCtx.close();
    await lisCtx.close();
  });
});
