/**
 * The AAC-LC rendition over real HTTP, with two bot speakers playing the demo's tones (440 and 660 Hz):
 * live (multivariant, ffprobe, ffmpeg decoding, a plain-HLS client), then its replay and the .m4a
 * download; cross-origin listening (CORS, the ticket carried by EXT-X-DEFINE), link previews, the embed
 * page, and `--aac off`.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { SpeakerBot } from '../../src/bot/index.js';
import { detectTones } from '../../src/bot/ToneDetector.js';
import type { RostraNode } from '../../src/server/RostraNode.js';
import { openTestNode, signUp, type TestUser } from '../../src/testing/TestNode.js';
import { until } from '../../src/testing/until.js';

const TONES = [440, 660];
let node: RostraNode;
let base: string;
let host: TestUser;
let spaceId: string;
let ticket: string;
const bots: SpeakerBot[] = [];
const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'rostra-aac-'));
  dirs.push(d);
  return d;
};

before(async () => {
  // A stand-in for the built app's index.html: the server writes link previews into it.
  const web = tempDir();
  writeFileSync(
    join(web, 'index.html'),
    '<!doctype html><html><head><meta name="description" content="app" /><title>Rostra</title></head><body></body></html>',
  );
  node = await openTestNode({
    config: { dataDir: tempDir(), media: { partTargetMs: 200, segmentTargetS: 1 } },
    webDist: `${web}/`,
  });
  await node.listen();
  base = `http://127.0.0.1:${node.http.port}`;
  host = await signUp(node, 'host');
  spaceId = (await host.client.post<{ id: string }>('/api/v1/spaces', { title: 'Tones <&> "AAC"' })).body.id;
  // As `rostra demo` does: the host speaks 440 Hz, an invited speaker 660 Hz.
  const speaker = await signUp(node, 'speaker');
  await host.client.post(`/api/v1/spaces/${spaceId}/users/${speaker.id}/invite`);
  await speaker.client.post(`/api/v1/spaces/${spaceId}/invitation`, { accept: true });
  await speaker.client.post(`/api/v1/spaces/${spaceId}/users/${speaker.id}/unmute`);
  for (const [i, frequencyHz] of TONES.entries()) {
    const bot = new SpeakerBot({
      whipUrl: `${base}/api/v1/spaces/${spaceId}/whip`,
      token: i === 0 ? host.token : speaker.token,
      audio: { kind: 'tone', frequencyHz, levelDbfs: -12 },
    });
    await bot.start();
    bots.push(bot);
  }
  const listen = await fetch(`${base}/api/v1/spaces/${spaceId}/listen`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  ticket = ((await listen.json()) as { ticket: string }).ticket;
});

after(async () => {
  for (const bot of bots) await bot.stop();
  await node.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const cookie = () => ({ cookie: `rostra_ticket=${ticket}` });

/** Waits (on the packager's events, in this process) until the AAC playlist holds `n` whole segments. */
async function aacSegments(n: number): Promise<void> {
  await fetch(`${base}/live/${spaceId}/index.m3u8`, { headers: cookie() }); // the media exists from here
  const aac = node.media.get(spaceId)?.aac?.packager;
  assert.ok(aac, 'the space has an AAC rendition');
  const deadline = performance.now() + 120_000; // generous: the machine may be busy
  while (aac.playlist.segmentMsns().length < n) {
    assert.ok(performance.now() < deadline, 'the AAC rendition stopped');
    await new Promise<void>((resolve) => aac.once('segment', () => resolve()));
  }
}

/** Runs a Debian tool without blocking this process (it serves what the tool reads). */
async function tool(
  cmd: string,
  args: string[],
): Promise<{ stdout: Buffer; stderr: string; code: number | null }> {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => out.push(d));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  clearTimeout(timer);
  return { stdout: Buffer.concat(out), stderr, code };
}

const cookieArgs = () => ['-headers', `Cookie: rostra_ticket=${ticket}\r\n`];

/** ffprobe's distinct `codec,profile,rate,channels` lines for a URL. */
async function probe(url: string, extra: string[] = []): Promise<string[]> {
  const r = await tool('ffprobe', [
    ...['-v', 'error', ...extra, '-show_entries', 'stream=codec_name,profile,sample_rate,channels'],
    ...['-of', 'csv=p=0', url],
  ]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stderr, '', `ffprobe ${url}`);
  return [
    ...new Set(
      r.stdout
        .toString()
        .split('\n')
        .filter((l) => l.trim() !== ''),
    ),
  ];
}

/**
 * Decodes to mono s16le at 48 kHz. Nothing on stderr but ffmpeg's notes about itself: that it skips
 * EXT-X-PART, and, reading a live playlist, that it skips the init segment it fetches again after each
 * reload ("duplicated MOOV"; it says the same of the Opus rendition).
 */
async function decode(url: string, extra: string[] = []): Promise<Int16Array> {
  const r = await tool('ffmpeg', [
    ...['-hide_banner', '-v', 'warning', '-nostdin', ...extra, '-i', url],
    ...['-f', 's16le', '-ac', '1', '-ar', '48000', '-'],
  ]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stderr
    .split('\n')
    .filter((l) => l.trim() !== '' && !/EXT-X-PART|Found duplicated MOOV Atom/.test(l));
  assert.deepEqual(lines, [], `ffmpeg ${url}`);
  return new Int16Array(r.stdout.buffer, r.stdout.byteOffset, r.stdout.length >> 1);
}

/** Both demo tones are in the second before `end`, well above anything else (the bots' detector). */
function assertHearsTones(pcm: Int16Array, what: string, end = pcm.length): void {
  assert.ok(end >= 48_000, `${what}: ${pcm.length} samples`);
  const tail = Float32Array.from(pcm.subarray(end - 48_000, end), (s) => s / 32767);
  const heard = detectTones(tail, 48_000, [220, 330, ...TONES, 880], -40).map((t) => t.frequencyHz);
  assert.deepEqual(heard.slice().sort(), TONES, `${what}: heard ${heard.join(', ')}`);
}

test('the multivariant playlist lists AAC-LC first, then Opus; the AAC media playlist is LL-HLS', async () => {
  await aacSegments(4); // ffmpeg starts three segments from the live end
  const text = await (await fetch(`${base}/live/${spaceId}/index.m3u8`, { headers: cookie() })).text();
  assert.match(text, /CODECS="mp4a\.40\.2"\naac\.m3u8\n#EXT-X-STREAM-INF:[^\n]*CODECS="opus"\naudio\.m3u8\n/);
  const aac = await (await fetch(`${base}/live/${spaceId}/aac.m3u8`, { headers: cookie() })).text();
  assert.match(aac, /#EXT-X-PART-INF:PART-TARGET=0\.213\n/); // 10 AAC frames cover a 0.2 s grid cell
  assert.match(aac, /#EXT-X-MAP:URI="aac-init\.mp4"/);
  assert.match(aac, /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="aac-part\d+\.\d+\.m4s"/);
  for (const m of aac.matchAll(/#EXT-X-PART:DURATION=([\d.]+)/g)) assert.ok(Number(m[1]) <= 0.213, m[0]);
});

test('ffprobe finds aac (LC) in the live AAC rendition; ffmpeg decodes it and hears both demo tones', async () => {
  const url = `${base}/live/${spaceId}/aac.m3u8`;
  assert.deepEqual(await probe(url, cookieArgs()), ['aac,LC,48000,1']);
  assertHearsTones(await decode(url, [...cookieArgs(), '-t', '3']), 'live AAC');
});

test('a plain-HLS player (ffmpeg, which skips EXT-X-PART) plays the multivariant playlist', async () => {
  const pcm = await decode(`${base}/live/${spaceId}/index.m3u8`, [...cookieArgs(), '-t', '4']);
  // ffmpeg picks the first variant, AAC-LC, as a native player would.
  assertHearsTones(pcm, 'multivariant');
});

test('?ticket= is carried to every URI by EXT-X-DEFINE:QUERYPARAM; the body is the same for every ticket', async () => {
  const get = async (path: string, t: string) =>
    (await fetch(`${base}/live/${spaceId}/${path}?ticket=${encodeURIComponent(t)}`)).text();
  const mv = await get('index.m3u8', ticket);
  assert.match(mv, /#EXT-X-DEFINE:QUERYPARAM="ticket"/);
  assert.match(mv, /\naac\.m3u8\?ticket=\{\$ticket\}\n/);
  assert.doesNotMatch(mv, new RegExp(ticket.slice(0, 20)), 'no ticket in the body (one cache entry for all)');
  const media = await get('aac.m3u8', ticket);
  assert.match(media, /#EXT-X-VERSION:11\n#EXT-X-DEFINE:QUERYPARAM="ticket"/);
  assert.match(media, /#EXT-X-MAP:URI="aac-init\.mp4\?ticket=\{\$ticket\}"/);
  assert.match(media, /URI="aac-part\d+\.\d+\.m4s\?ticket=\{\$ticket\}"/);
  // Another listener's ticket, same body.
  const other = (await (
    await fetch(`${base}/api/v1/spaces/${spaceId}/listen`, { method: 'POST' })
  ).json()) as {
    ticket: string;
  };
  assert.equal(await get('index.m3u8', other.ticket), mv);
  // The cookie player gets the plain playlist.
  const plain = await (await fetch(`${base}/live/${spaceId}/index.m3u8`, { headers: cookie() })).text();
  assert.doesNotMatch(plain, /EXT-X-DEFINE/);
});

test('CORS: /live/ and the join path answer any origin, preflights included; signed-in routes do not', async () => {
  const origin = { origin: 'http://elsewhere.example' };
  const pre = await fetch(`${base}/api/v1/spaces/${spaceId}/listen`, {
    method: 'OPTIONS',
    headers: {
      ...origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type',
    },
  });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers.get('access-control-allow-origin'), '*');
  assert.match(pre.headers.get('access-control-allow-headers') ?? '', /content-type/);
  const media = await fetch(`${base}/live/${spaceId}/aac-init.mp4?ticket=${ticket}`, { headers: origin });
  assert.equal(media.status, 200);
  assert.equal(media.headers.get('access-control-allow-origin'), '*');
  const refused = await fetch(`${base}/live/${spaceId}/index.m3u8?ticket=forged`, { headers: origin });
  assert.equal(refused.status, 403, 'a refusal is readable cross-origin too');
  assert.equal(refused.headers.get('access-control-allow-origin'), '*');
  const me = await fetch(`${base}/api/v1/me`, { headers: origin });
  assert.equal(me.headers.get('access-control-allow-origin'), null);
});

test('link previews: /s/{id} carries Open Graph and Twitter tags (title, host, live, count), escaped', async () => {
  const res = await fetch(`${base}/s/${spaceId}`, { headers: { accept: 'text/html' } });
  assert.equal(res.status, 200);
  const html = await res.text();
  assert.match(html, /<meta property="og:title" content="Tones &#60;&#38;&#62; &#34;AAC&#34;" \/>/);
  assert.match(
    html,
    /<meta property="og:description" content="Live now · hosted by [^"]+ \(@host[^"]*\) · \d+ listeners?" \/>/,
  );
  assert.match(html, new RegExp(`<meta name="twitter:player" content="http[^"]+/embed/${spaceId}" />`));
  assert.match(html, /<meta name="twitter:card" content="player" \/>/);
  assert.match(html, /<title>Tones &#60;&#38;&#62; &#34;AAC&#34; · Rostra<\/title>/);
  assert.doesNotMatch(html, /content="app"/, 'the generic description is replaced');
  const unknown = await (await fetch(`${base}/s/AAAAAAAAAAAAAAAAAAAAAA`)).text();
  assert.doesNotMatch(unknown, /og:title/);
});

test('the embed page: title, host, live count, listen button, link; any site may frame it', async () => {
  const res = await fetch(`${base}/embed/${spaceId}`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-frame-options'), null);
  assert.equal(res.headers.get('content-security-policy'), 'frame-ancestors *');
  const html = await res.text();
  assert.match(html, /<h1>Tones &#60;&#38;&#62; &#34;AAC&#34;<\/h1>/);
  assert.match(html, /Hosted by [^<]+\(@host/);
  assert.match(html, /LIVE · \d+ listening/);
  assert.match(html, /<button id="listen" type="button">Listen<\/button>/);
  assert.match(html, new RegExp(`href="[^"]*/s/${spaceId}"`));
  const hls = await fetch(`${base}/embed/hls.min.js`);
  assert.equal(hls.status, 200);
  assert.ok((await hls.arrayBuffer()).byteLength > 100_000);
  assert.equal((await fetch(`${base}/embed/not-an-id!`)).status, 404);
});

test('after the end: the replay offers AAC (ffprobe: aac LC), and the .m4a download plays', async () => {
  for (const bot of bots.splice(0)) await bot.stop();
  assert.equal((await host.client.post(`/api/v1/spaces/${spaceId}/end`)).status, 200);
  type Replay = { playlistUrl: string; durationSeconds: number; downloadUrl?: string };
  const replay = await until(
    'the replay',
    async () => {
      const res = await host.client.get<Replay>(`/api/v1/spaces/${spaceId}/replay`);
      if (res.status === 200) return res.body;
      assert.equal(res.status, 409, JSON.stringify(res.body)); // still finishing
      return undefined;
    },
    120_000, // generous: a deadline, not a bound
  );
  assert.equal(replay.playlistUrl, `/replay/${spaceId}/main.m3u8`);
  assert.equal(replay.downloadUrl, `/replay/${spaceId}/recording.m4a`);
  const main = await (await fetch(`${base}${replay.playlistUrl}`)).text();
  assert.match(main, /CODECS="mp4a\.40\.2"\naac\/index\.m3u8\n[^\n]*CODECS="opus"\nindex\.m3u8/);

  const aacUrl = `${base}/replay/${spaceId}/aac/index.m3u8`;
  assert.deepEqual(await probe(aacUrl), ['aac,LC,48000,1']);
  const vod = await decode(aacUrl);
  assert.ok(Math.abs(vod.length / 48_000 - replay.durationSeconds) < 0.1, `${vod.length / 48_000} s`);
  // The middle: at the end one bot had already left.
  assertHearsTones(vod, 'AAC replay', vod.length >> 1);

  const download = await fetch(`${base}${replay.downloadUrl}`);
  assert.equal(download.status, 200);
  assert.match(download.headers.get('content-disposition') ?? '', /attachment; filename="rostra-.+\.m4a"/);
  const file = join(tempDir(), 'space.m4a');
  writeFileSync(file, Buffer.from(await download.arrayBuffer()));
  const fmt = await tool('ffprobe', [
    '-v',
    'error',
    '-show_entries',
    'format_tags=major_brand',
    '-of',
    'csv=p=0',
    file,
  ]);
  assert.equal(fmt.stdout.toString().trim(), 'M4A');
  assert.deepEqual(await probe(file), ['aac,LC,48000,1']);
  const pcm = await decode(file);
  assert.equal(pcm.length, vod.length, 'the .m4a holds exactly the AAC replay');
  assertHearsTones(pcm, '.m4a', pcm.length >> 1);

  const card = await (await fetch(`${base}/r/${spaceId}`)).text();
  assert.match(card, /<meta property="og:description" content="Replay of a space hosted by [^"]+" \/>/);
});

test('--aac off: only the Opus rendition is offered', async () => {
  const off = await openTestNode({ config: { media: { aac: false } } });
  try {
    await off.listen();
    const url = `http://127.0.0.1:${off.http.port}`;
    const h = await signUp(off, 'host');
    const id = (await h.client.post<{ id: string }>('/api/v1/spaces', { title: 'Opus only' })).body.id;
    const t = (await h.client.post<{ ticket: string }>(`/api/v1/spaces/${id}/listen`, {})).body.ticket;
    const mv = await (await fetch(`${url}/live/${id}/index.m3u8?ticket=${t}`)).text();
    assert.doesNotMatch(mv, /mp4a|aac\.m3u8/);
    const aac = await fetch(`${url}/live/${id}/aac.m3u8?ticket=${t}`);
    assert.equal(aac.status, 404);
    assert.equal(((await aac.json()) as { error: { code: string } }).error.code, 'not_found');
  } finally {
    await off.close();
  }
});
