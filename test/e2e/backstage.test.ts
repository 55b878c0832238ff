/**
 * Backstage in Chromium: the host opens the backstage of a scheduled space from its page, and their mic
 * connects under a "listeners can't hear you yet" banner; an anonymous listener who arrives sees "Starting
 * soon" with the waiting count and hears nothing; the host clicks Go live, and the listener's page switches
 * to the live player and hears the host's 440 Hz, without a reload. Screenshots at 390 and 1280 px.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { RostraNode } from '../../src/server/RostraNode.js';
import { toneWav } from '../../src/testing/Browser.js';
import { openTestNode } from '../../src/testing/TestNode.js';
import { PROBE_SCRIPT, RAW_MIC_SCRIPT, type ToneLevels } from './audioProbe.js';
import { apiCall, apiSignUp, launchBrowser, pageErrors, shotPath, userContext } from './browser.js';

const HOST_HZ = 440;
/** A tone counts as heard at this analyser level (dB) or more. */
const PRESENT_DB = -55;
const T = { timeout: 30_000 };
const VIEWPORTS = [
  { width: 390, height: 844 },
  { width: 1280, height: 800 },
] as const;

async function shots(page: Page, name: string): Promise<void> {
  for (const viewport of VIEWPORTS) {
    await page.setViewportSize(viewport);
    await page.screenshot({ path: shotPath(`backstage-${name}-${viewport.width}`), fullPage: true });
  }
}

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
  let dir: string;
  let node: RostraNode;
  let base: string;
  let hostBrowser: Browser;
  let listenerBrowser: Browser;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rostra-e2e-backstage-'));
    node = await openTestNode({ config: { dataDir: dir } });
    await node.listen();
    base = `http://127.0.0.1:${node.http.port}`;
    [hostBrowser, listenerBrowser] = await Promise.all([launchBrowser(toneWav(HOST_HZ)), launchBrowser()]);
  });

  after(async () => {
    await Promise.all([hostBrowser, listenerBrowser].map((b) => b?.close()));
    await node?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('listeners wait on "Starting soon" with the count; Go live switches them to the live player without a reload', async () => {
    const host = await apiSignUp(base, 'Bea Backstage');
    const id = (
      await apiCall<{ id: string }>(base, host.token, 'POST', '/api/v1/spaces', {
        title: 'Late but ready',
        scheduledFor: new Date(Date.now() + 3_600_000).toISOString(),
      })
    ).id;
    const hostCtx = await userContext(hostBrowser, base, { session: host });
    await hostCtx.addInitScript(RAW_MIC_SCRIPT);
    const hostPage = await hostCtx.newPage();
    const lisCtx = await userContext(listenerBrowser, base);
    await lisCtx.addInitScript(PROBE_SCRIPT);
    const lisPage = await lisCtx.newPage();
    const errors = [...pageErrors(hostPage), ...pageErrors(lisPage)];

    // The host opens the backstage from the scheduled page; the mic connects (permission granted).
    await hostPage.goto(`/s/${id}`);
    await hostPage.getByRole('button', { name: 'Open backstage' }).click();
    await hostPage.getByRole('heading', { name: 'Backstage — listeners can’t hear you yet' }).waitFor(T);
    await hostPage.locator('audio[data-audio="webrtc"]').waitFor({ state: 'attached', ...T });
    await hostPage.locator('.mic-panel').waitFor({ state: 'detached', ...T }); // the mic is connected
    assert.equal((await node.store.spaces.get(id))?.state, 'backstage');

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
    await shots(lisPage, 'home');
    await lisPage.goto(`/s/${id}`);
    await lisPage.evaluate('window.__sameDocument = true');
    await lisPage.getByRole('heading', { name: 'Starting soon' }).waitFor(T);
    await lisPage.getByText('1 listener is waiting').waitFor(T);
    await hostPage.getByText('1 listener is waiting').waitFor(T);
    assert.deepEqual(playlists, [], 'no player before go-live');
    assert.equal(await lisPage.getByRole('button', { name: 'Go live' }).count(), 0);
    await shots(lisPage, 'listener-waiting');
    await shots(hostPage, 'host');

    // Go live: the same host page, the same mic connection.
    await hostPage.getByRole('button', { name: 'Go live' }).click();
    await hostPage.getByRole('heading', { name: 'Backstage — listeners can’t hear you yet' }).waitFor({
      state: 'detached',
      ...T,
    });
    assert.equal((await node.store.spaces.get(id))?.state, 'live');

    // The listener's page turns live by itself and plays the host.
    await lisPage.locator('.space-head .pill-live').waitFor(T);
    await lisPage.getByRole('heading', { name: 'Starting soon' }).waitFor({ state: 'detached', ...T });
    await hearsHost(lisPage);
    assert.ok(playlists.length > 0, 'the player fetched the live playlist');
    assert.equal(await lisPage.evaluate('window.__sameDocument === true'), true, 'no reload');
    await shots(lisPage, 'listener-live');
    assert.deepEqual(errors, []);
    await hostCtx.close();
    await lisCtx.close();
  });
});
