/**
 * What a person met that was broken (issue 15), in Chromium against real nodes: a signed-out /new and
 * unknown paths, a removed user who reloads, the host's listener list after a removal, the host's Leave,
 * and a server that stops mid-space and comes back (connection lost, then recovered; the host's mic
 * reconnects by itself). Screenshots at 390 and 1280 px go to test-output/screenshots/.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { openBus, type Bus } from '../../src/bus/index.js';
import type { RostraNode } from '../../src/server/RostraNode.js';
import { openStore, type Store } from '../../src/store/index.js';
import { ManualClock, openTestNode } from '../../src/testing/TestNode.js';
import {
  apiCall,
  apiSignUp,
  launchBrowser,
  pageErrors,
  shotPath,
  userContext,
  type Session,
} from './browser.js';

const T = { timeout: 20_000 };
const SECRET = 'a-secret-shared-by-the-node-and-its-restart-0123456789';
const VIEWPORTS = [
  { width: 390, height: 844 },
  { width: 1280, height: 800 },
] as const;

const createSpace = async (base: string, host: Session, title: string) =>
  (await apiCall<{ id: string }>(base, host.token, 'POST', '/api/v1/spaces', { title })).id;

async function shots(page: Page, name: string): Promise<void> {
  for (const viewport of VIEWPORTS) {
    await page.setViewportSize(viewport);
    await page.screenshot({ path: shotPath(`${name}-${viewport.width}`) });
  }
}

describe('web app: what was broken', () => {
  let store: Store;
  let bus: Bus;
  let node: RostraNode;
  let base: string;
  let port: number;
  let browser: Browser;

  before(async () => {
    store = await openStore({});
    bus = await openBus({});
    node = await openTestNode({ store, bus, config: { secret: SECRET } });
    await node.listen();
    port = node.http.port;
    base = `http://127.0.0.1:${port}`;
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await node?.close();
    await bus?.close();
    await store?.close();
  });

  test('signed out, /new goes to sign-in; /foo and /s/ show the app’s not-found page', async () => {
    const ctx = await userContext(browser, base);
    const page = await ctx.newPage();
    const errors = pageErrors(page);
    await page.goto('/new');
    await page.getByRole('heading', { name: 'Welcome back' }).waitFor(T);
    assert.equal(new URL(page.url()).pathname + new URL(page.url()).search, '/signin?next=/new');
    for (const path of ['/foo', '/s/']) {
      const res = await page.goto(path);
      assert.equal(res?.status(), 404);
      assert.match(res?.headers()['content-type'] ?? '', /^text\/html/);
      await page.getByRole('heading', { name: 'This page does not exist' }).waitFor(T);
    }
    // A machine still gets the coded error.
    const api = await fetch(`${base}/foo`);
    assert.equal(api.status, 404);
    assert.equal(((await api.json()) as { error: { code: string } }).error.code, 'route_not_found');
    assert.deepEqual(errors, []);
    await ctx.close();
  });

  test('a removed user leaves the host’s list, and after a reload sees only the removed state', async () => {
    const host = await apiSignUp(base, 'Hana Host');
    const rex = await apiSignUp(base, 'Rex Removed');
    const lou = await apiSignUp(base, 'Lou Listener');
    const id = await createSpace(base, host, 'Moderated room');
    await apiCall(base, lou.token, 'POST', `/api/v1/spaces/${id}/listen`, {});

    const rexCtx = await userContext(browser, base, { session: rex });
    const rexPage = await rexCtx.newPage();
    const rexErrors = pageErrors(rexPage);
    await rexPage.goto(`/s/${id}`);
    await rexPage.getByRole('button', { name: 'Request to speak' }).waitFor(T);

    const hostCtx = await userContext(browser, base, { session: host, micAllowed: false });
    const hostPage = await hostCtx.newPage();
    await hostPage.goto(`/s/${id}`);
    await hostPage.locator('.listener-count', { hasText: /^2 listeners$/ }).waitFor(T);
    await hostPage.locator('.count-btn').click();
    const list = hostPage.getByRole('list', { name: 'Listeners' });
    await list.getByText('Rex Removed').waitFor(T);
    await list.getByText('Lou Listener').waitFor(T);
    await hostPage.getByRole('button', { name: 'Actions for Rex Removed' }).click();
    await hostPage.getByRole('button', { name: 'Remove from space' }).click();
    await hostPage.getByText('Rex Removed was removed.').waitFor(T);
    // The list the host is looking at (still open) drops them at once, and so does a fresh one.
    await list.getByText('Lou Listener').waitFor(T);
    assert.equal(await list.getByText('Rex Removed').count(), 0);
    const fresh = await apiCall<{ users: { id: string }[] }>(
      base,
      null,
      'GET',
      `/api/v1/spaces/${id}/listeners`,
    );
    assert.deepEqual(
      fresh.users.map((u) => u.id),
      [lou.user.id],
    );

    await rexPage.getByRole('heading', { name: 'You can’t listen to this space' }).waitFor(T);
    await rexPage.reload();
    await rexPage.getByRole('heading', { name: 'You can’t listen to this space' }).waitFor(T);
    await rexPage.getByText('You were removed from this space.').waitFor(T);
    for (const name of ['Request to speak', 'React', 'Leave']) {
      assert.equal(await rexPage.getByRole('button', { name }).count(), 0, `no "${name}" button`);
    }
    assert.equal(await rexPage.locator('.stage-grid').count(), 0, 'no stage');
    await shots(rexPage, 'removed');
    assert.deepEqual(rexErrors, []);
    await rexCtx.close();
    await hostCtx.close();
  });

  test('the host’s Leave asks: end the space, or leave it to a co-host', async () => {
    const host = await apiSignUp(base, 'Lee Host');
    const co = await apiSignUp(base, 'Cora Cohost');
    const id = await createSpace(base, host, 'Handing over');
    await apiCall(base, host.token, 'POST', `/api/v1/spaces/${id}/users/${co.user.id}/cohost`);
    const ctx = await userContext(browser, base, { session: host, micAllowed: false });
    const page = await ctx.newPage();
    await page.goto(`/s/${id}`);
    await page.getByRole('button', { name: 'Leave' }).click();
    const dialog = page.getByRole('dialog', { name: 'End the space?' });
    await dialog.getByRole('button', { name: 'Leave, and let a co-host carry on' }).waitFor(T);
    await shots(page, 'host-leave');
    await dialog.getByRole('button', { name: 'End the space' }).click();
    await page.waitForURL(`${base}/`, T);
    const view = await apiCall<{ state: string }>(base, null, 'GET', `/api/v1/spaces/${id}`);
    assert.equal(view.state, 'ended');
    await ctx.close();
  });

  test('the server stops mid-space: connection lost, then it recovers and the host’s mic comes back', async () => {
    const host = await apiSignUp(base, 'Max Mic');
    const id = await createSpace(base, host, 'Stormy weather');

    const hostCtx = await userContext(browser, base, { session: host });
    const hostPage = await hostCtx.newPage();
    await hostPage.goto(`/s/${id}`);
    const mic = hostPage.locator('.action-primary[data-mic]');
    await hostPage.locator('.action-primary[data-mic="live"]').waitFor(T);
    assert.equal(await mic.innerText(), 'Mute');

    const lisCtx = await userContext(browser, base);
    const lisPage = await lisCtx.newPage();
    const errors = pageErrors(lisPage);
    await lisPage.goto(`/s/${id}`);
    await lisPage.locator('.listener-count', { hasText: /^1 listener$/ }).waitFor(T);
    await lisPage.locator('.pill[data-state="live"]').waitFor(T);
    // Anonymous: the way to a turn on stage is named, not missing.
    const signIn = lisPage.getByRole('link', { name: 'Sign in to request to speak' });
    assert.equal(await signIn.getAttribute('href'), `/signin?next=${encodeURIComponent(`/s/${id}`)}`);

    await node.close();
    for (const page of [lisPage, hostPage]) {
      await page.getByRole('alert').getByRole('heading', { name: 'Connection lost' }).waitFor(T);
      await page.locator('.pill[data-state="reconnecting"]').waitFor(T);
      assert.equal(await page.locator('.listener-count').count(), 0, 'no frozen count');
      assert.equal(await page.locator('.ring.is-speaking').count(), 0, 'no frozen speaking ring');
    }
    // The mic button says what the mic does now, not "Mute".
    await hostPage
      .locator('.action-primary[data-mic="reconnecting"], .action-primary[data-mic="connecting"]')
      .waitFor(T);
    assert.notEqual(await mic.innerText(), 'Mute');
    await shots(lisPage, 'connection-lost');

    // The same node comes back on the same port, with the same database and secret.
    node = await openTestNode({ store, bus, config: { port, secret: SECRET } });
    await node.listen();
    for (const page of [lisPage, hostPage]) {
      await page.locator('.pill[data-state="live"]').waitFor(T);
      await page.getByRole('heading', { name: 'Connection lost' }).waitFor({ state: 'detached', ...T });
    }
    await hostPage.locator('.action-primary[data-mic="live"]').waitFor(T);
    assert.equal(await mic.innerText(), 'Mute');
    await lisPage.locator('.listener-count', { hasText: /^1 listener$/ }).waitFor(T);
    assert.deepEqual(errors, []);
    await lisCtx.close();
    await hostCtx.close();
  });

  test('a space whose host never came back ends by itself: the listener sees it ended, with the recording', async () => {
    const clock = new ManualClock(Date.now());
    const own = await openTestNode({ clock });
    try {
      await own.listen();
      const ownBase = `http://127.0.0.1:${own.http.port}`;
      const host = await apiSignUp(ownBase, 'Gone Host');
      const id = await createSpace(ownBase, host, 'Left alone');
      const ctx = await userContext(browser, ownBase);
      const page = await ctx.newPage();
      const errors = pageErrors(page);
      await page.goto(`/s/${id}`);
      await page.locator('.pill[data-state="live"]').waitFor(T);
      await own.stagePresence.refresh();
      await own.lifecycle.sweep(); // nobody hosts it: the absence starts now
      clock.advance(5 * 60_000);
      assert.deepEqual((await own.lifecycle.sweep()).ended, [id]);
      await page.getByRole('heading', { name: 'This space has ended' }).waitFor(T);
      assert.equal(await page.getByRole('link', { name: 'Play recording' }).getAttribute('href'), `/r/${id}`);
      assert.deepEqual(errors, []);
      await ctx.close();
    } finally {
      await own.close();
    }
  });
});
