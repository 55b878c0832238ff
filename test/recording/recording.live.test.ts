/**
 * Recording end to end, with the node wired as in production (RostraNode: MediaPlane hooks → Recordings):
 *  (b) a real `rostra serve` is SIGKILLed while a bot speaks; after the restart the recording resumes
 *      (after an EXT-X-DISCONTINUITY) and, once the space ends, the replay holds everything up to at most the
 *      last part before the kill, and ffprobe/ffmpeg read it with nothing on stderr;
 *  (c) in process: after the end the replay is available within 5 s, plays count, the host deletes it → 404.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { SpeakerBot } from '../../src/bot/index.js';
import { dominantFrequency } from '../../src/audio/testSignals.js';
import { LiveListener, parseMediaPlaylist } from '../../src/listener/index.js';
import { ffmpegDecode, ffmpegDecodeAsync, run } from '../../src/recording/recordingTestKit.js';
import { ServeProcess } from '../../src/testing/ServeProcess.js';
import { openTestNode, signUp } from '../../src/testing/TestNode.js';

const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'rostra-reclive-'));
  dirs.push(d);
  return d;
};
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Replay {
  playlistUrl: string;
  durationSeconds: number;
  plays: number;
}

/** Polls the replay until it is available; returns it and how long that took. */
async function awaitReplay(get: () => Promise<{ status: number; body: unknown }>): Promise<[Replay, number]> {
  const t0 = performance.now();
  for (;;) {
    const res = await get();
    if (res.status === 200) return [res.body as Replay, performance.now() - t0];
    assert.equal(res.status, 409, JSON.stringify(res.body)); // still finishing
    if (performance.now() - t0 > 10_000) assert.fail('no replay after 10 s');
    await sleep(100);
  }
}

const seconds = (text: string) =>
  [...text.matchAll(/#EXTINF:([\d.]+),/g)].reduce((a, m) => a + Number(m[1]), 0);

test('(b) SIGKILL mid-space: after the restart the recording resumes and the replay is whole', async () => {
  const data = tempDir();
  const flags = ['--data', data, '--part-ms', '500', '--segment-seconds', '2'];
  let server = await ServeProcess.start(flags);
  try {
    const host = await server.json<{ token: string }>('POST', '/api/v1/auth/signup', {
      handle: 'crashhost',
      password: 'correct horse battery',
      displayName: 'H',
    });
    const token = host.body.token;
    const space = await server.json<{ id: string }>('POST', '/api/v1/spaces', { title: 'Crash' }, token);
    const id = space.body.id;
    const whip = (base: string) => `${base}/api/v1/spaces/${id}/whip`;
    const bot = new SpeakerBot({
      whipUrl: whip(server.baseUrl),
      token,
      audio: { kind: 'tone', frequencyHz: 440, levelDbfs: -12 },
    });
    await bot.start();
    await sleep(6000);
    const listen = await server.json<{ ticket: string }>('POST', `/api/v1/spaces/${id}/listen`, {});
    const live = await fetch(`${server.baseUrl}/live/${id}/audio.m3u8`, {
      headers: { cookie: `rostra_ticket=${listen.body.ticket}` },
    });
    const pl = parseMediaPlaylist(await live.text());
    assert.equal(pl.segments[0]?.msn, 0, 'the whole space is still in the live window');
    const liveSeconds =
      pl.segments.reduce((a, s) => a + s.duration, 0) + pl.pendingParts.reduce((a, p) => a + p.duration, 0);
    await server.stop('SIGKILL');
    await bot.stop();

    server = await ServeProcess.start(flags);
    const bot2 = new SpeakerBot({
      whipUrl: whip(server.baseUrl),
      token,
      audio: { kind: 'tone', frequencyHz: 660, levelDbfs: -12 },
    });
    await bot2.start(); // the space's media starts again: the recording resumes
    await sleep(3000);
    await bot2.stop();
    assert.equal((await server.json('POST', `/api/v1/spaces/${id}/end`, undefined, token)).status, 200);
    const [replay] = await awaitReplay(() => server.json('GET', `/api/v1/spaces/${id}/replay`));

    const url = `${server.baseUrl}${replay.playlistUrl}`;
    const text = await (await fetch(url)).text();
    const [before = '', resumed = ''] = text.split('#EXT-X-DISCONTINUITY');
    assert.ok(resumed.length > 0, `a discontinuity marks the resume:\n${text}`);
    const kept = seconds(before);
    console.log(
      `live before the kill: ${liveSeconds} s; recorded before the kill: ${kept} s; total ${replay.durationSeconds} s`,
    );
    // Everything the live playlist had, minus at most the part in progress at the kill (one more part may
    // have been cut between reading the playlist and the kill).
    assert.ok(kept >= liveSeconds - 0.5 && kept <= liveSeconds + 0.5, `${kept} vs ${liveSeconds}`);
    assert.ok(Math.abs(replay.durationSeconds - seconds(text)) < 1e-6);

    const probe = run('ffprobe', [
      '-v',
      'warning',
      '-show_entries',
      'format=duration',
      '-of',
      'csv=p=0',
      url,
    ]);
    assert.equal(probe.stderr, '');
    assert.ok(
      Math.abs(Number(probe.stdout.toString()) - replay.durationSeconds) <= 0.5,
      probe.stdout.toString(),
    );
    const pcm = ffmpegDecode(url);
    assert.equal(dominantFrequency(pcm.subarray(48_000, 96_000), [440, 660]), 440);
    assert.equal(dominantFrequency(pcm.subarray(pcm.length - 72_000, pcm.length - 24_000), [440, 660]), 660);
  } finally {
    await server.stop('SIGKILL');
  }
});

test('(c) after the end the replay is available within 5 s, plays count, and the host deletes it', async () => {
  const node = await openTestNode({ config: { dataDir: tempDir() } });
  try {
    await node.listen();
    const base = `http://127.0.0.1:${node.http.port}`;
    const host = await signUp(node, 'host');
    const id = (await host.client.post<{ id: string }>('/api/v1/spaces', { title: 'Replay' })).body.id;
    const bot = new SpeakerBot({
      whipUrl: `${base}/api/v1/spaces/${id}/whip`,
      token: host.token,
      audio: { kind: 'tone', frequencyHz: 440, levelDbfs: -12 },
    });
    await bot.start();
    await sleep(3000);
    await bot.stop();
    assert.equal((await host.client.post(`/api/v1/spaces/${id}/end`)).status, 200);
    const [replay, ms] = await awaitReplay(() => host.client.get(`/api/v1/spaces/${id}/replay`));
    console.log(`replay available ${Math.round(ms)} ms after the end: ${JSON.stringify(replay)}`);
    assert.ok(ms < 5000);
    assert.ok(replay.durationSeconds >= 2.5, `${replay.durationSeconds} s`);
    assert.equal(replay.plays, 0);
    const pcm = await ffmpegDecodeAsync(`${base}${replay.playlistUrl}`); // served by this process
    assert.equal(dominantFrequency(pcm.subarray(48_000, 96_000), [440, 660]), 440);

    const heard = await new LiveListener({ url: `${base}/r/${id}`, seconds: 10 }).run();
    assert.equal(heard.ended, true, 'the replay plays to its ENDLIST');
    assert.ok(
      heard.frequencies.some((f) => Math.abs(f - 440) <= 3),
      heard.frequencies.join(','),
    );
    assert.ok(Math.abs(heard.audioSeconds - replay.durationSeconds) < 1e-6, `${heard.audioSeconds} s`);
    assert.equal((await host.client.post(`/api/v1/spaces/${id}/replay/plays`)).status, 204);
    assert.equal((await host.client.get<Replay>(`/api/v1/spaces/${id}/replay`)).body.plays, 1);
    assert.equal((await host.client.delete(`/api/v1/spaces/${id}/replay`)).status, 204);
    assert.equal((await host.client.get(`/api/v1/spaces/${id}/replay`)).status, 404);
    assert.equal((await fetch(`${base}${replay.playlistUrl}`)).status, 404);
  } finally {
    await node.close();
  }
});
