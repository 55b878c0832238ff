/**
 * Audio end to end through the web app: real tones from fake microphones (one Chromium per tone, since
 * the WAV flag is per browser), heard through an AnalyserNode in the listening page.
 * - a listener hears the host's 440 Hz over LL-HLS;
 * - an accepted speaker's 660 Hz reaches a third user beside the 440, and the speaker, switched from HLS
 *   to WebRTC, hears the host in the mix-minus;
 * - muting the speaker takes the 660 away;
 * - after the end, the replay plays the recorded tones and counts the play.
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
import { apiCall, apiSignUp, launchBrowser, userContext, type Session } from './browser.js';

const HOST_HZ = 440;
const SPEAKER_HZ = 660;
/** A tone counts as heard at this analyser level (dB) or more, and as gone below ABSENT_DB. */
const PRESENT_DB = -55;
const ABSENT_DB = -75;
const AUDIO_TIMEOUT_MS = 30_000;
const T = { timeout: 20_000 };

/** Polls the page's probe until `ok` holds for `times` reads in a row; fails with the last reading. */
/** The state of every WHIP connection on a page (WhipSession mirrors it into data-state). */
async function whipStates(pages: Page[]): Promise<string> {
  const states = await Promise.all(
    pages.map((p) =>
      p
        .locator('audio[data-audio="webrtc"]')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-state') ?? 'new')),
    ),
  );
  return JSON.stringify(states);
}

async function until(
  page: Page,
  what: string,
  ok: (levels: ToneLevels[]) => boolean,
  times = 3,
  timeoutMs = AUDIO_TIMEOUT_MS,
  speakers: Page[] = [],
): Promise<ToneLevels[]> {
  const deadline = Date.now() + timeoutMs;
  let streak = 0;
  let last: ToneLevels[] = [];
  while (Date.now() < deadline) {
    last = (await page.evaluate(`window.__probe.levels([${HOST_HZ}, ${SPEAKER_HZ}])`)) as ToneLevels[];
    streak = ok(last) ? streak + 1 : 0;
    if (streak >= times) return last;
    await page.waitForTimeout(250);
  }
  assert.fail(
    `${what}: not within ${timeoutMs} ms; last probe ${JSON.stringify(last)}; ` +
      `speakers' WHIP connection states ${await whipStates(speakers)}`,
  );
}

const heard = (levels: ToneLevels[], kind: string, hz: number) =>
  levels.some((l) => l.kind === kind && (l.db[hz] ?? -200) >= PRESENT_DB);
const silent = (levels: ToneLevels[], kind: string, hz: number) =>
  levels.some((l) => l.kind === kind) &&
  levels.every((l) => l.kind !== kind || (l.db[hz] ?? -200) < ABSENT_DB);

describe('audio through the web app', () => {
  let node: RostraNode;
  let base: string;
  let dataDir: string;
  let hostBrowser: Browser;
  let speakerBrowser: Browser;
  let listenerBrowser: Browser;
  let host: Session;
  let speaker: Session;
  let spaceId: string;
  let hostPage: Page;
  let speakerPage: Page;
  let listenerPage: Page;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'rostra-e2e-audio-'));
    node = await openTestNode({ config: { dataDir } });
    await node.listen();
    base = `http://127.0.0.1:${node.http.port}`;
    [hostBrowser, speakerBrowser, listenerBrowser] = await Promise.all([
      launchBrowser(toneWav(HOST_HZ)),
      launchBrowser(toneWav(SPEAKER_HZ)),
      launchBrowser(),
    ]);
    host = await apiSignUp(base, 'Hana Host');
    speaker = await apiSignUp(base, 'Sol Speaker');
    spaceId = (
      await apiCall<{ id: string }>(base, host.token, 'POST', '/api/v1/spaces', {
        title: 'Tones on air',
        record: true,
      })
    ).id;
  });

  after(async () => {
    await Promise.all([hostBrowser, speakerBrowser, listenerBrowser].map((b) => b?.close()));
    await node?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const open = async (browser: Browser, session: Session | undefined, path: string): Promise<Page> => {
    const ctx = await userContext(browser, base, session ? { session } : {});
    await ctx.addInitScript(RAW_MIC_SCRIPT);
    await ctx.addInitScript(PROBE_SCRIPT);
    const page = await ctx.newPage();
    await page.goto(path);
    return page;
  };

  test("a listener hears the host's 440 Hz over LL-HLS", async () => {
    hostPage = await open(hostBrowser, host, `/s/${spaceId}`);
    // The host's mic connects on its own (permission granted) and the host starts unmuted.
    await hostPage.locator('audio[data-audio="webrtc"]').waitFor({ state: 'attached', ...T });

    listenerPage = await open(listenerBrowser, undefined, `/s/${spaceId}`);
    await until(
      listenerPage,
      'the listener hears 440 Hz over HLS',
      (l) => heard(l, 'hls', HOST_HZ),
      3,
      AUDIO_TIMEOUT_MS,
      [hostPage],
    );
    // The host's mic flow settled as connected: no problem panel left.
    assert.equal(await hostPage.locator('.mic-panel').count(), 0);
  });

  test("an accepted speaker's 660 Hz reaches a third user beside the 440; the speaker hears the host over WebRTC", async () => {
    speakerPage = await open(speakerBrowser, speaker, `/s/${spaceId}`);
    await until(speakerPage, 'the speaker first listens over HLS', (l) => heard(l, 'hls', HOST_HZ));
    await speakerPage.getByRole('button', { name: 'Request to speak' }).click();
    await hostPage.getByRole('button', { name: 'Accept Sol Speaker' }).click(T);
    await speakerPage.getByRole('button', { name: 'Unmute' }).click(T);
    await speakerPage
      .locator(`.stage-grid li[data-user="${speaker.user.handle}"][data-muted="false"]`)
      .waitFor(T);

    // The speaker switched from HLS to the WebRTC mix-minus without a reload: the host's tone, not their own.
    const mix = await until(
      speakerPage,
      'the speaker hears 440 Hz in the WebRTC mix-minus',
      (l) => heard(l, 'webrtc', HOST_HZ) && !l.some((x) => x.kind === 'hls'),
    );
    assert.ok(
      silent(mix, 'webrtc', SPEAKER_HZ),
      `mix-minus left out the speaker's own voice: ${JSON.stringify(mix)}`,
    );

    await until(
      listenerPage,
      'the third user hears 660 Hz beside 440 Hz',
      (l) => heard(l, 'hls', HOST_HZ) && heard(l, 'hls', SPEAKER_HZ),
    );
  });

  test('muting the speaker removes the 660 Hz; the 440 Hz stays', async () => {
    await apiCall(base, host.token, 'POST', `/api/v1/spaces/${spaceId}/users/${speaker.user.id}/mute`);
    await speakerPage
      .locator(`.stage-grid li[data-user="${speaker.user.handle}"][data-muted="true"]`)
      .waitFor(T);
    await until(
      listenerPage,
      'the 660 Hz is gone and the 440 Hz stays',
      (l) => heard(l, 'hls', HOST_HZ) && silent(l, 'hls', SPEAKER_HZ),
      3,
      AUDIO_TIMEOUT_MS,
      [hostPage, speakerPage],
    );
  });

  test('after the end, the replay plays the recorded tones and counts the play', async () => {
    await apiCall(base, host.token, 'POST', `/api/v1/spaces/${spaceId}/end`);
    await listenerPage.getByRole('link', { name: 'Play recording' }).click(T);
    await listenerPage.waitForURL(`**/r/${spaceId}`, T);

    // The recording may take a moment to be finished; the page retries, the API tells why meanwhile.
    let replay: { status: number; text: string } = { status: 0, text: '' };
    const deadline = Date.now() + 120_000; // generous, for a busy machine
    while (replay.status !== 200 && Date.now() < deadline) {
      const res = await fetch(`${base}/api/v1/spaces/${spaceId}/replay`);
      replay = { status: res.status, text: await res.text() };
      if (res.status !== 200) await new Promise((r) => setTimeout(r, 500));
    }
    assert.equal(
      replay.status,
      200,
      `GET /api/v1/spaces/:id/replay answered ${replay.status} ${replay.text}`,
    );

    await listenerPage.getByRole('button', { name: 'Play' }).click({ timeout: 30_000 });
    await until(listenerPage, 'the replay plays the host tone', (l) => heard(l, 'replay', HOST_HZ));
    await listenerPage.getByText(/^1 play$/).waitFor(T);
    // Seekable: jump near the end and keep playing.
    const seek = listenerPage.getByRole('slider', { name: 'Seek' });
    const max = Number(await seek.getAttribute('max'));
    assert.ok(max >= 1, `the replay has a duration (max ${max})`);
    await seek.fill(String(Math.max(0, max - 2)));
    await until(listenerPage, 'the replay still plays after a seek', (l) => heard(l, 'replay', HOST_HZ), 2);
  });
});
