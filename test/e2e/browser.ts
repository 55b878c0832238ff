/**
 * Helpers for the browser tests: Debian Chromium through playwright-core (never a browser download), a
 * node with its own data directory for a suite (openBrowserNode), sessions made over the API and put in a
 * context's localStorage, spaces and recordings made without the UI, and screenshots at two sizes.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { hasWebBuild } from '../../src/api/WebApp.js';
import type { ConfigInput } from '../../src/config/Config.js';
import type { RostraNode } from '../../src/server/RostraNode.js';
import { launchChromium } from '../../src/testing/Browser.js';
import { tonePackager, type TonePackager } from '../../src/testing/recordingTestKit.js';
import { openTestNode } from '../../src/testing/TestNode.js';

export const SCREENSHOTS = fileURLToPath(new URL('../../test-output/screenshots/', import.meta.url));

/** The browser tests drive the built app; `npm test` builds it first (scripts/test-setup.mjs). */
export function requireWebBuild(): void {
  if (!hasWebBuild()) throw new Error('web/dist is missing: run `npm run build:web` first');
}

/** Debian Chromium with fake media devices (src/testing/Browser.ts); a WAV plays as the microphone. */
export async function launchBrowser(fakeAudioWav?: string): Promise<Browser> {
  requireWebBuild();
  return launchChromium(fakeAudioWav !== undefined ? { fakeAudioWav } : {});
}

/** A suite's node on a loopback port and the Chromium that drives it. */
export interface BrowserNode {
  /** The node's data directory (recordings, clips), removed by close(). */
  readonly dir: string;
  readonly node: RostraNode;
  /** `http://127.0.0.1:<port>`: the app and the API. */
  readonly base: string;
  readonly browser: Browser;
  /** Another Chromium (the fake microphone is per browser), closed with the rest. */
  launch(fakeAudioWav?: string): Promise<Browser>;
  /** Closes the browsers and the node and removes the data directory. Idempotent. */
  close(): Promise<void>;
}

export interface BrowserNodeOptions {
  /** The node's config; its dataDir is always a fresh temporary directory. */
  config?: ConfigInput;
  /** A WAV the first browser plays as its microphone. */
  fakeAudioWav?: string;
}

/** The set-up of a browser suite: a fresh data directory, a node listening on it, and Chromium. */
export async function openBrowserNode(name: string, opts: BrowserNodeOptions = {}): Promise<BrowserNode> {
  const dir = mkdtempSync(join(tmpdir(), `rostra-e2e-${name}-`));
  const browsers: Browser[] = [];
  let node: RostraNode | undefined;
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await Promise.all(browsers.map((b) => b.close()));
      await node?.close();
      rmSync(dir, { recursive: true, force: true });
    })());
  const launch = async (fakeAudioWav?: string) => {
    const browser = await launchBrowser(fakeAudioWav);
    browsers.push(browser);
    return browser;
  };
  try {
    const opened = await openTestNode({ config: { ...opts.config, dataDir: dir } });
    node = opened;
    await opened.listen();
    const browser = await launch(opts.fakeAudioWav);
    return { dir, node: opened, base: `http://127.0.0.1:${opened.http.port}`, browser, launch, close };
  } catch (err) {
    await close(); // a half-made set-up leaves nothing behind: the suite's after() has no handle to it
    throw err;
  }
}

export interface Session {
  user: { id: string; handle: string; displayName: string; createdAt: string };
  token: string;
  expiresAt: string;
}

let seq = 0;

/** Signs up over the HTTP API (as a second user would have done earlier). */
export async function apiSignUp(base: string, displayName: string): Promise<Session> {
  const handle = `${displayName
    .toLowerCase()
    .replace(/[^a-z]/g, '')
    .slice(0, 6)}_${process.pid % 1000}${++seq}`;
  const res = await fetch(`${base}/api/v1/auth/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ handle, password: 'correct horse battery', displayName }),
  });
  if (res.status !== 201) throw new Error(`sign-up failed: ${res.status} ${await res.text()}`);
  return (await res.json()) as Session;
}

/** A new user who has created a space (over the API): the usual start of a test. */
export async function hostSpace(
  base: string,
  displayName: string,
  space: { title: string } & Record<string, unknown>,
): Promise<{ host: Session; id: string }> {
  const host = await apiSignUp(base, displayName);
  const { id } = await apiCall<{ id: string }>(base, host.token, 'POST', '/api/v1/spaces', space);
  return { host, id };
}

/** A JSON call with a user's token. */
export async function apiCall<T>(
  base: string,
  token: string | null,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const headers: Record<string, string> = {};
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return (text === '' ? undefined : JSON.parse(text)) as T;
}

export interface ContextOptions {
  session?: Session;
  viewport?: { width: number; height: number };
  colorScheme?: 'light' | 'dark';
  reducedMotion?: 'reduce' | 'no-preference';
  /** Grant the microphone up front (the app then connects a speaker without asking). Default true. */
  micAllowed?: boolean;
}

/** One user = one context; a session is placed in localStorage before any page script runs. */
export async function userContext(
  browser: Browser,
  base: string,
  opts: ContextOptions = {},
): Promise<BrowserContext> {
  const context = await browser.newContext({
    baseURL: base,
    viewport: opts.viewport ?? { width: 1280, height: 800 },
    colorScheme: opts.colorScheme ?? 'light',
    reducedMotion: opts.reducedMotion ?? 'no-preference',
  });
  await context.grantPermissions(
    [...(opts.micAllowed === false ? [] : ['microphone']), 'clipboard-read', 'clipboard-write'],
    { origin: base },
  );
  if (opts.session)
    await context.addInitScript(
      `localStorage.setItem('rostra.session', ${JSON.stringify(JSON.stringify(opts.session))});`,
    );
  return context;
}

export interface PageOptions extends ContextOptions {
  /** Run in every page of the context before the app's scripts (audioProbe.ts). */
  initScript?: string;
}

/** One user's page, and the errors it throws (to assert there were none). Close `ctx` when done. */
export async function userPage(
  browser: Browser,
  base: string,
  opts: PageOptions = {},
): Promise<{ ctx: BrowserContext; page: Page; errors: Error[] }> {
  const ctx = await userContext(browser, base, opts);
  if (opts.initScript !== undefined) await ctx.addInitScript(opts.initScript);
  const page = await ctx.newPage();
  return { ctx, page, errors: pageErrors(page) };
}

/**
 * A live space's recording, fed a tone through the node's real recorder (real Opus parts) as the media
 * plane would feed it, without a speaker: push() more, and packager.end() when the space ends.
 */
export async function recordTone(
  node: RostraNode,
  id: string,
  frequencyHz: number,
  seconds: number,
): Promise<TonePackager> {
  const space = await node.store.spaces.get(id);
  assert.ok(space && node.recordings);
  const startedAtMs = Date.now();
  const tone = tonePackager(frequencyHz, startedAtMs);
  await node.recordings.started(space, { packager: tone.packager, startedAtMs });
  tone.push(seconds);
  return tone;
}

/** A replay: `seconds` of a tone recorded, then the host ends the space and the recording is finished. */
export async function recordReplay(
  app: BrowserNode,
  host: Session,
  id: string,
  frequencyHz: number,
  seconds: number,
): Promise<void> {
  const { packager } = await recordTone(app.node, id, frequencyHz, seconds);
  await apiCall(app.base, host.token, 'POST', `/api/v1/spaces/${id}/end`);
  packager.end();
  await app.node.recordings?.ended(id);
}

export const PHONE = { width: 390, height: 844 } as const;
export const DESKTOP = { width: 1280, height: 800 } as const;

/** Full-page screenshots at phone and desktop widths (`<name>-390.png`, `<name>-1280.png`); ends at desktop. */
export async function shots(page: Page, name: string): Promise<void> {
  for (const viewport of [PHONE, DESKTOP]) {
    await page.setViewportSize(viewport);
    await page.screenshot({ path: shotPath(`${name}-${viewport.width}`), fullPage: true });
  }
}

export function shotPath(name: string): string {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return `${SCREENSHOTS}${name}.png`;
}

/** Collects page errors so a test can assert the app threw none. */
export function pageErrors(page: Page): Error[] {
  const errors: Error[] = [];
  page.on('pageerror', (err) => errors.push(err));
  return errors;
}
