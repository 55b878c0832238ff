/**
 * Helpers for the browser tests: Debian Chromium through playwright-core (never a browser download),
 * sessions made over the API and put in a context's localStorage, and where screenshots go.
 */
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { hasWebBuild } from '../../src/api/WebApp.js';
import { launchChromium } from '../../src/testing/Browser.js';

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
