/**
 * The web app end to end, in Chromium against a real node over HTTP: sign-up, a live space, a listener
 * who asks to speak and is accepted, muted and sent back, reactions, the end; a refused join (503) with
 * its countdown; keyboard-only use; and screenshots at phone and desktop sizes.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { RostraNode } from '../../src/server/RostraNode.js';
import { openTestNode } from '../../src/testing/TestNode.js';
import {
  apiCall,
  apiSignUp,
  launchBrowser,
  pageErrors,
  shotPath,
  userContext,
  type Session,
} from './browser.js';

const T = { timeout: 15_000 };

/** The stage entry of one user on a page (see StageMember: data-user is the handle). */
const member = (page: Page, handle: string) => page.locator(`.stage-grid li[data-user="${handle}"]`);

async function createSpace(base: string, host: Session, body: Record<string, unknown> = {}): Promise<string> {
  const space = await apiCall<{ id: string }>(base, host.token, 'POST', '/api/v1/spaces', {
    title: 'Hello from the stage',
    topics: ['audio'],
    ...body,
  });
  return space.id;
}

describe('web app', () => {
  let node: RostraNode;
  let base: string;
  let browser: Browser;

  before(async () => {
    node = await openTestNode();
    await node.listen();
    base = `http://127.0.0.1:${node.http.port}`;
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await node?.close();
  });

  test('a space from sign-up to the end: count, request, accept, mute, take mic, reactions, end', async () => {
    const hostCtx = await userContext(browser, base);
    const host = await hostCtx.newPage();
    const hostErrors = pageErrors(host);

    // The host signs up in the UI and starts a space.
    await host.goto('/signup?next=/new');
    await host.getByLabel('Display name').fill('Ada Host');
    const handle = `ada_${process.pid % 10000}`;
    await host.getByLabel('Handle').fill(handle);
    await host.getByLabel('Password').fill('correct horse battery');
    await host.getByRole('button', { name: 'Sign up' }).click();
    await host.waitForURL('**/new', T);
    await host.getByLabel('Title').fill('Rostra launch party');
    await host.getByLabel(/Topics/).fill('launch');
    await host.keyboard.press('Enter');
    await host.getByRole('button', { name: 'Start your space' }).click();
    await host.waitForURL(/\/s\/[A-Za-z0-9_-]+$/, T);
    const spaceId = new URL(host.url()).pathname.split('/').pop() ?? '';
    await host.getByText('Live', { exact: true }).first().waitFor(T);
    await host.getByText('REC').first().waitFor(T);
    await member(host, handle).waitFor(T);
    assert.equal(await member(host, handle).getAttribute('data-role'), 'host');

    // A second user opens it: the host's count becomes 1.
    const lena = await apiSignUp(base, 'Lena Listener');
    const listenerCtx = await userContext(browser, base, { session: lena });
    const listener = await listenerCtx.newPage();
    const listenerErrors = pageErrors(listener);
    await listener.goto(`/s/${spaceId}`);
    await listener.getByRole('heading', { name: 'Rostra launch party' }).waitFor(T);
    await host.locator('.listener-count', { hasText: /^1 listener$/ }).waitFor(T);

    // The listener asks to speak; the host sees the request and accepts.
    await listener.getByRole('button', { name: 'Request to speak' }).click();
    await listener.getByRole('button', { name: 'Cancel request' }).waitFor(T);
    await host.getByRole('button', { name: 'Accept Lena Listener' }).click(T);
    for (const page of [host, listener]) {
      await member(page, lena.user.handle).waitFor(T);
      assert.equal(await member(page, lena.user.handle).getAttribute('data-role'), 'speaker');
      // A new speaker starts muted.
      await member(page, lena.user.handle).locator('[data-muted="true"]').waitFor(T);
    }

    // The speaker unmutes (mic allowed by the fake UI), then the host mutes them.
    await listener.getByRole('button', { name: 'Unmute' }).click();
    for (const page of [host, listener])
      await page.locator(`.stage-grid li[data-user="${lena.user.handle}"][data-muted="false"]`).waitFor(T);
    await host.getByRole('button', { name: /^Lena Listener, Speaker.*Actions$/ }).click();
    await host.getByRole('dialog').getByRole('button', { name: 'Mute', exact: true }).click();
    for (const page of [host, listener])
      await member(page, lena.user.handle).locator('[data-muted="true"]').waitFor(T);
    await listener.getByText('A host muted you.').waitFor(T);

    // The host takes the mic: the speaker is a listener again, on both pages.
    await host.getByRole('button', { name: /^Lena Listener, Speaker.*Actions$/ }).click();
    await host.getByRole('dialog').getByRole('button', { name: 'Move to listeners' }).click();
    for (const page of [host, listener])
      await member(page, lena.user.handle).waitFor({ state: 'detached', ...T });
    await listener.getByRole('button', { name: 'Request to speak' }).waitFor(T);

    // Reactions sent on one page float on the other.
    await listener.getByRole('button', { name: 'React' }).click();
    await listener.getByRole('button', { name: 'React 🔥' }).click();
    await host
      .locator('.floater[data-emoji="🔥"]')
      .first()
      .waitFor({ state: 'attached', ...T });

    // The host ends the space: both pages show it ended, with the replay link (recorded by default).
    await host.getByRole('button', { name: 'Host tools' }).click();
    await host.getByRole('button', { name: 'End space' }).click();
    await host.getByRole('button', { name: 'Yes, end space' }).click();
    for (const page of [host, listener]) {
      await page.getByRole('heading', { name: 'This space has ended' }).waitFor(T);
      assert.equal(
        await page.getByRole('link', { name: 'Play recording' }).getAttribute('href'),
        `/r/${spaceId}`,
      );
    }
    assert.deepEqual([...hostErrors, ...listenerErrors], []);
    await hostCtx.close();
    await listenerCtx.close();
  });

  test('keyboard only: Tab reaches "Request to speak", Enter sends the request', async () => {
    const host = await apiSignUp(base, 'Kim Host');
    const spaceId = await createSpace(base, host, { title: 'Keyboard friendly' });
    const user = await apiSignUp(base, 'Kai Keys');
    const ctx = await userContext(browser, base, { session: user });
    const page = await ctx.newPage();
    await page.goto(`/s/${spaceId}`);
    const button = page.getByRole('button', { name: 'Request to speak' });
    await button.waitFor(T);

    let reached = false;
    for (let i = 0; i < 40 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await button.evaluate((el) => el === el.ownerDocument.activeElement);
    }
    assert.ok(reached, 'Tab never reached "Request to speak"');
    // The focus is visible.
    const outline = await button.evaluate(
      (el) => el.ownerDocument.defaultView?.getComputedStyle(el).outlineStyle,
    );
    assert.notEqual(outline, 'none');
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Cancel request' }).waitFor(T);
    const { requests } = await apiCall<{ requests: { user: { id: string } }[] }>(
      base,
      host.token,
      'GET',
      `/api/v1/spaces/${spaceId}/requests`,
    );
    assert.deepEqual(
      requests.map((r) => r.user.id),
      [user.user.id],
    );
    await ctx.close();
  });

  test('a join refused with 503 says the live audience is full (never "not available"), with a live countdown', async () => {
    const small = await openTestNode({ config: { limits: { listenersPerSpace: 1 } } });
    try {
      await small.listen();
      const smallBase = `http://127.0.0.1:${small.http.port}`;
      const host = await apiSignUp(smallBase, 'Full House');
      const spaceId = await createSpace(smallBase, host, { title: 'Packed room' });
      // One listener fills it; wait until the node's ~1 s count cache has seen them.
      await apiCall(smallBase, null, 'POST', `/api/v1/spaces/${spaceId}/listen`, {});
      const deadline = Date.now() + 60_000; // generous, for a busy machine
      for (;;) {
        const view = await apiCall<{ listenerCount: number }>(
          smallBase,
          null,
          'GET',
          `/api/v1/spaces/${spaceId}`,
        );
        if (view.listenerCount >= 1) break;
        assert.ok(Date.now() < deadline, 'the first listener was never counted');
        await new Promise((r) => setTimeout(r, 100));
      }

      const ctx = await userContext(browser, smallBase);
      const page = await ctx.newPage();
      await page.goto(`/s/${spaceId}`);
      await page.getByRole('heading', { name: 'The live audience is full' }).waitFor(T);
      await page.getByText('Live audience full — the recording will be published.').waitFor(T);
      // The words of the failure Rostra exists to prevent are never shown.
      assert.equal(await page.getByText('not available').count(), 0);
      const countdown = page.locator('.countdown');
      await countdown.waitFor(T);
      assert.match(await countdown.innerText(), /^Trying again by itself in (\d+ min )?\d+ s$/);
      const first = Number(await countdown.getAttribute('data-seconds'));
      assert.ok(first > 0, `countdown starts above 0 (got ${first})`);
      // It counts down by itself.
      await page.waitForFunction(
        `Number(document.querySelector('.countdown')?.getAttribute('data-seconds')) < ${first}`,
        undefined,
        T,
      );
      await ctx.close();
    } finally {
      await small.close();
    }
  });

  test('with reduced motion, reactions fade in place instead of floating up', async () => {
    const host = await apiSignUp(base, 'Rae Host');
    const spaceId = await createSpace(base, host, { title: 'Calm room' });
    const fan = await apiSignUp(base, 'Fay Fan');
    const ctx = await userContext(browser, base, { reducedMotion: 'reduce' });
    const page = await ctx.newPage();
    await page.goto(`/s/${spaceId}`);
    await page.getByRole('heading', { name: 'Calm room' }).waitFor(T);
    await page.locator('.listener-count').waitFor(T);
    const floater = page.locator('.floater[data-emoji="👏"]').first();
    // Batched reactions arrive over the event stream; send until one shows (the first may precede the subscription).
    for (let i = 0; i < 20 && (await floater.count()) === 0; i++) {
      await apiCall(base, fan.token, 'POST', `/api/v1/spaces/${spaceId}/reactions`, { emoji: '👏' });
      await page.waitForTimeout(500);
    }
    await floater.waitFor({ state: 'attached', ...T });
    assert.equal(await floater.evaluate((el) => getComputedStyle(el).animationName), 'fade-in-place');
    await ctx.close();
  });

  test('screenshots: home and space at 390×844 and 1280×800', async () => {
    const host = await apiSignUp(base, 'Grace Hopper');
    const spaceId = await createSpace(base, host, {
      title: 'Open-source audio: building live rooms',
      topics: ['webrtc', 'hls', 'self-hosting'],
    });
    await createSpace(base, host, {
      title: 'Friday design critique',
      topics: ['design'],
      scheduledFor: new Date(Date.now() + 2 * 86_400_000).toISOString(),
    });
    // A speaker on stage and a listener, so the stage and count are not empty.
    const sam = await apiSignUp(base, 'Sam Speaker');
    await apiCall(base, sam.token, 'POST', `/api/v1/spaces/${spaceId}/listen`, {});
    await apiCall(base, sam.token, 'POST', `/api/v1/spaces/${spaceId}/requests`);
    await apiCall(base, host.token, 'POST', `/api/v1/spaces/${spaceId}/requests/${sam.user.id}`, {
      accept: true,
    });
    const lee = await apiSignUp(base, 'Lee Listener');
    await apiCall(base, lee.token, 'POST', `/api/v1/spaces/${spaceId}/listen`, {});

    for (const viewport of [
      { width: 390, height: 844 },
      { width: 1280, height: 800 },
    ]) {
      // Mic not granted yet: the host sees the calm "turn on your mic" prompt, as on a first visit.
      const ctx = await userContext(browser, base, { session: host, viewport, micAllowed: false });
      const page = await ctx.newPage();
      const errors = pageErrors(page);
      await page.goto('/');
      await page.getByRole('heading', { name: 'Live now' }).waitFor(T);
      await page.getByText('Open-source audio: building live rooms').waitFor(T);
      await page.screenshot({ path: shotPath(`home-${viewport.width}x${viewport.height}`), fullPage: true });
      await page.goto(`/s/${spaceId}`);
      await member(page, sam.user.handle).waitFor(T);
      await page.locator('.listener-count', { hasText: /^2 listeners$/ }).waitFor(T);
      await page.getByRole('button', { name: 'Turn on microphone' }).waitFor(T);
      await page.screenshot({ path: shotPath(`space-${viewport.width}x${viewport.height}`) });
      assert.deepEqual(errors, []);
      await ctx.close();
    }
  });
});
