/**
 * Stage polish in Chromium: a profile photo uploaded in the app (and a fake one refused), the audience's
 * faces under the stage (photos, readable coloured initials, "+N others"), "Sign in to request to speak"
 * for an anonymous listener that comes back to the space, the reaction palette on a phone clear of the
 * speakers, and the host trimming the start of a replay. Screenshots at 390 and 1280 px:
 * test-output/screenshots/polish-*.png.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import sharp from 'sharp';
import {
  apiCall,
  apiSignUp,
  DESKTOP,
  hostSpace,
  openBrowserNode,
  PHONE,
  recordReplay,
  shotPath,
  shots,
  userPage,
  type BrowserNode,
  type Session,
} from './browser.js';

const T = { timeout: 20_000 };

const photo = (colour: string) =>
  sharp({ create: { width: 480, height: 360, channels: 3, background: colour } })
    .png()
    .toBuffer();

async function apiAvatar(base: string, token: string, colour: string): Promise<string> {
  const res = await fetch(`${base}/api/v1/me/avatar`, {
    method: 'PUT',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'image/png' },
    body: await photo(colour),
  });
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()) as { avatarUrl: string }).avatarUrl;
}

/** WCAG contrast of two `rgb(…)` colours. */
function contrast(a: string, b: string): number {
  const lum = (css: string) => {
    const [r, g, bl] = (css.match(/[\d.]+/g) ?? []).slice(0, 3).map((v) => {
      const c = Number(v) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * (r ?? 0) + 0.7152 * (g ?? 0) + 0.0722 * (bl ?? 0);
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}

describe('web app: stage polish', () => {
  let app: BrowserNode;
  before(async () => {
    // Speakers here have no WHIP peer: the lifecycle must not take them off stage during the test.
    app = await openBrowserNode('polish', {
      config: { lifecycle: { ghostSpeakerSeconds: 3600, hostAbsentMinutes: 60 } },
    });
  });
  after(() => app?.close());

  test('a signed-in user uploads a profile photo from the header; a text file named .png is refused', async () => {
    const ada = await apiSignUp(app.base, 'Ada Photo');
    const { ctx, page, errors } = await userPage(app.browser, app.base, { session: ada, micAllowed: false });
    await page.goto('/');
    await page.getByRole('button', { name: 'Ada Photo: profile photo' }).click();
    const dialog = page.getByRole('dialog', { name: 'Profile photo' });
    await dialog.waitFor(T);
    const input = dialog.locator('input[type=file]');
    await input.setInputFiles({
      name: 'notes.png',
      mimeType: 'image/png',
      buffer: Buffer.from('not a picture'),
    });
    await dialog
      .getByRole('alert')
      .getByText(/not a PNG, JPEG or WebP picture/)
      .waitFor(T);

    await input.setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: await photo('#2a6') });
    const mine = page.locator('.topnav > .me img.avatar-photo');
    await mine.waitFor(T);
    await page.waitForFunction(
      () =>
        (document.querySelector('.topnav > .me img.avatar-photo') as HTMLImageElement | null)
          ?.naturalWidth === 256,
      undefined,
      T,
    );
    const src = await mine.getAttribute('src');
    assert.match(src ?? '', new RegExp(`^/api/v1/users/${ada.user.id}/avatar\\?v=`));
    const me = await apiCall<{ avatarUrl?: string }>(app.base, ada.token, 'GET', '/api/v1/me');
    assert.equal(me.avatarUrl, src);
    await shots(page, 'polish-avatar');
    // Elsewhere in the app too (the session keeps the new URL).
    await page.keyboard.press('Escape');
    await page.getByRole('link', { name: 'Rostra home' }).click();
    await page.locator('.topnav > .me img.avatar-photo').waitFor(T);
    assert.deepEqual(errors, []);
    await ctx.close();
  });

  test('faces under the stage; anonymous: "Sign in to request to speak" and back; the phone palette clears the stage', async () => {
    const { base } = app;
    const host = await apiSignUp(base, 'Hana Host');
    await apiAvatar(base, host.token, '#a33');
    const id = (await apiCall<{ id: string }>(base, host.token, 'POST', '/api/v1/spaces', { title: 'Faces' }))
      .id;
    const sp = `/api/v1/spaces/${id}`;
    for (const n of [1, 2])
      await apiCall(base, host.token, 'POST', `${sp}/pins`, {
        title: `Notes ${n}`,
        url: `https://example.org/${n}`,
      });
    // A full stage (two co-hosts, four speakers) pushes its last row down to where a palette would be.
    for (const n of [1, 2, 3, 4, 5, 6]) {
      const u = await apiSignUp(base, `Stage ${n}`);
      if (n <= 2) await apiCall(base, host.token, 'POST', `${sp}/users/${u.user.id}/cohost`);
      else {
        await apiCall(base, u.token, 'POST', `${sp}/requests`);
        await apiCall(base, host.token, 'POST', `${sp}/requests/${u.user.id}`, { accept: true });
      }
    }
    // Three signed-in listeners (two with photos), counted in the Bus as the app's own would be.
    const listeners: Session[] = [];
    for (const [n, colour] of [
      ['Lou One', '#26a'],
      ['Lou Two', '#a62'],
      ['Lou Three', null],
    ] as const) {
      const u = await apiSignUp(base, n);
      if (colour !== null) await apiAvatar(base, u.token, colour);
      const { ticket } = await apiCall<{ ticket: string }>(base, u.token, 'POST', `${sp}/listen`, {});
      await apiCall(base, null, 'POST', `${sp}/heartbeat`, { ticket }); // a full ticket lifetime
      listeners.push(u);
    }

    const { ctx, page, errors } = await userPage(app.browser, base, { viewport: PHONE, micAllowed: false });
    await page.goto(`/s/${id}`);

    // Faces: exactly the three listeners, photos for two, and this anonymous page as "+1 other".
    const grid = page.locator('.listener-faces');
    await grid.getByText('+1 other').waitFor(T);
    const faces = grid.locator('.listener-face');
    assert.deepEqual((await faces.evaluateAll((els) => els.map((e) => e.getAttribute('title')))).sort(), [
      'Lou One',
      'Lou Three',
      'Lou Two',
    ]);
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll<HTMLImageElement>('.listener-faces img.avatar-photo')].filter(
          (i) => i.complete && i.naturalWidth === 256,
        ).length === 2,
      undefined,
      T,
    );
    const initialsFace = grid.locator('.listener-face[title="Lou Three"] .avatar');
    assert.equal(await initialsFace.textContent(), 'LT');
    const colours = await initialsFace.evaluate((e) => [
      getComputedStyle(e).backgroundColor,
      getComputedStyle(e).color,
    ]);
    assert.ok(
      contrast(colours[0] ?? '', colours[1] ?? '') >= 4.5,
      `initials contrast ${colours.join(' on ')}`,
    );
    // The host's photo on the stage.
    await page.waitForFunction(
      () =>
        (document.querySelector('.stage-grid img.avatar-photo') as HTMLImageElement | null)?.naturalWidth ===
        256,
      undefined,
      T,
    );

    // Anonymous: a link to sign in, back to this space, not a Request button.
    const signIn = page.getByRole('link', { name: 'Sign in to request to speak' });
    await signIn.waitFor(T);
    assert.equal(await page.getByRole('button', { name: 'Request to speak' }).count(), 0);
    assert.equal(await signIn.getAttribute('href'), `/signin?next=${encodeURIComponent(`/s/${id}`)}`);

    // The phone palette: open, and no speaker under it.
    await page.getByRole('button', { name: 'React' }).click();
    const palette = page.getByRole('group', { name: 'Reactions' });
    await palette.waitFor(T);
    const box = await palette.boundingBox();
    assert.ok(box);
    assert.ok(box.x >= 0 && box.x + box.width <= PHONE.width, 'the palette fits the screen');
    const members = await page.locator('.stage-grid .member').evaluateAll((els) =>
      els.map((e) => {
        const r = e.getBoundingClientRect();
        return { top: r.top, bottom: r.bottom, left: r.left, right: r.right };
      }),
    );
    assert.equal(members.length, 7);
    const over = members.filter(
      (m) => m.bottom > box.y && m.top < box.y + box.height && m.right > box.x && m.left < box.x + box.width,
    );
    assert.deepEqual(over, [], 'no speaker under the open palette');
    await page.screenshot({ path: shotPath('polish-palette-390') });
    await page.keyboard.press('Escape');
    await shots(page, 'polish-faces');
    await page.setViewportSize(DESKTOP);
    await page.getByRole('button', { name: 'React' }).click();
    await palette.waitFor(T);
    await page.screenshot({ path: shotPath('polish-palette-1280') });
    await page.keyboard.press('Escape');

    // Sign in from the prompt and land back in the space, now with the Request button.
    const lou = listeners[0] as Session;
    await page.setViewportSize(PHONE);
    await signIn.click();
    await page.waitForURL(/\/signin\?next=/, T);
    await page.getByLabel('Handle').fill(lou.user.handle);
    await page.getByLabel('Password').fill('correct horse battery');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${base}/s/${id}`, T);
    await page.getByRole('button', { name: 'Request to speak' }).waitFor(T);
    assert.deepEqual(errors, []);
    await ctx.close();
  });

  test('the host trims the start of a replay on its page; others see no trim', async () => {
    const { host, id } = await hostSpace(app.base, 'Tia Trim', { title: 'Late start' });
    // 40 s of a tone through the real recorder (2 s segments), then the end.
    await recordReplay(app, host, id, 440, 40);

    const other = await apiSignUp(app.base, 'Otto Other');
    const { ctx: otherCtx, page: otherPage } = await userPage(app.browser, app.base, {
      session: other,
      micAllowed: false,
    });
    await otherPage.goto(`/r/${id}`);
    await otherPage.getByRole('button', { name: 'Play' }).waitFor(T);
    assert.equal(await otherPage.getByText('Trim start').count(), 0);
    await otherCtx.close();

    const { ctx, page, errors } = await userPage(app.browser, app.base, { session: host, micAllowed: false });
    await page.goto(`/r/${id}`);
    const total = page.locator('.times span').last();
    await page.waitForFunction(
      () => document.querySelector('.times span:last-child')?.textContent === '0:40',
      undefined,
      T,
    );
    await page.getByText('Trim start').click();
    const field = page.getByLabel(/Start the replay at/);
    await field.fill('36');
    await page.getByRole('button', { name: 'Trim', exact: true }).click();
    await page
      .getByRole('alert')
      .getByText(/up to 5 s before its end/)
      .waitFor(T);
    await field.fill('9.2');
    await page.getByRole('button', { name: 'Trim', exact: true }).click();
    // Cut at the next 2 s segment boundary: 10 s, so 30 s are left.
    await page.waitForFunction(
      () => document.querySelector('.times span:last-child')?.textContent === '0:30',
      undefined,
      T,
    );
    await page.getByText('Now it starts at 0:10 of 0:40.').waitFor(T);
    assert.equal(await total.textContent(), '0:30');
    const replay = await apiCall<{ durationSeconds: number; trimStartSeconds?: number }>(
      app.base,
      null,
      'GET',
      `/api/v1/spaces/${id}/replay`,
    );
    assert.deepEqual([replay.durationSeconds, replay.trimStartSeconds], [30, 10]);
    await shots(page, 'polish-trim');
    assert.deepEqual(errors, []);
    await ctx.close();
  });
});
