/**
 * Clips over real HTTP on loopback, cut from real recordings (a real PartPackager fed real Opus, and the
 * real AAC rendition's encoder): a live space's last 30 s as AAC, a replay's window as Opus, the coded
 * answers to bad input, who may delete, and retention on an injected clock. ffprobe and ffmpeg read every
 * clip with nothing on stderr.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { HttpServer } from '../src/api/HttpServer.js';
import { clipRoutes, registerClipFiles } from '../src/api/routes/clips.js';
import { registerReplayFiles, replayRoutes } from '../src/api/routes/replay.js';
import type { ClipView } from '../src/contract/rest.js';
import { aacDirOf } from '../src/recording/AacRecording.js';
import { readRecorded } from '../src/recording/ClipFile.js';
import { CLIPS_DIR, Clips } from '../src/recording/Clips.js';
import { Recordings } from '../src/recording/index.js';
import {
  ffmpegDecode,
  ffprobeDuration,
  run,
  toneAac,
  tonePackager,
} from '../src/testing/recordingTestKit.js';
import { dominantFrequency } from '../src/testing/testSignals.js';
import { until } from '../src/testing/until.js';
import type { RostraNode } from '../src/server/RostraNode.js';
import { openTestNode, signUp, type ErrorBody, type TestUser } from '../src/testing/TestNode.js';

const DAY = 86_400_000;
let node: RostraNode;
let http: HttpServer;
let recordings: Recordings;
let clips: Clips;
let base: string;
let host: TestUser;
let dir: string;
let nowMs = Date.now();

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rostra-clips-'));
  node = await openTestNode({ config: { guard: { clipsPerAccount: 6, clipsPerIp: 1000 } } });
  recordings = new Recordings({ store: node.store, recordingsDir: dir, retentionDays: 30, now: () => nowMs });
  clips = new Clips({ store: node.store, recordingsDir: dir, retentionDays: 30, now: () => nowMs });
  http = await HttpServer.create({
    plane: node.plane,
    version: 'test',
    webDist: null,
    checkResponses: true,
    extraRoutes: [
      ...replayRoutes({ plane: node.plane, recordings }),
      ...clipRoutes({ plane: node.plane, clips, recordings }),
    ],
    configure: (app) => {
      registerReplayFiles(app, { recordings });
      registerClipFiles(app, { clips });
    },
  });
  await http.listen(0, '127.0.0.1');
  base = `http://127.0.0.1:${http.port}`;
  host = await signUp(node, 'host');
});

after(async () => {
  await clips.close();
  await recordings.close();
  await http.close();
  await node.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Res<T> {
  status: number;
  body: T;
  headers: Headers;
}

async function call<T = unknown>(
  method: 'GET' | 'POST' | 'DELETE',
  path: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Res<T>> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: {
      ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
      ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...opts.headers,
    },
    ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
  });
  const text = await res.text();
  const json = (res.headers.get('content-type') ?? '').includes('json') ? (JSON.parse(text) as T) : undefined;
  return { status: res.status, body: json as T, headers: res.headers };
}
const code = (r: Res<unknown>) => (r.body as ErrorBody).error.code;
/** The path of a URL the node built with its own public origin. */
const pathOf = (url: string) => new URL(url).pathname;

async function liveSpace(record = true): Promise<string> {
  const res = await host.client.post<{ id: string }>('/api/v1/spaces', { title: 'Clip me', record });
  assert.equal(res.status, 201);
  return res.body.id;
}

async function ticketFor(id: string): Promise<string> {
  const res = await call<{ ticket: string }>('POST', `/api/v1/spaces/${id}/listen`, { body: {} });
  assert.equal(res.status, 200, JSON.stringify(res.body));
  return res.body.ticket;
}

/** Downloads a clip's audio to a file; returns its path. */
async function download(view: ClipView): Promise<string> {
  const res = await fetch(`${base}${pathOf(view.audioUrl)}`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'audio/mp4');
  const path = join(dir, `${view.id}-download.m4a`);
  writeFileSync(path, Buffer.from(await res.arrayBuffer()));
  return path;
}

function codecOf(path: string): string {
  const r = run('ffprobe', [
    ...['-v', 'error', '-show_entries', 'stream=codec_name', '-of', 'csv=p=0', path],
  ]);
  assert.equal(r.stderr, '');
  return r.stdout.toString().trim();
}

test('a live space: any listener clips the last 30 s; an AAC .m4a that ffprobe reads as 30 s of the tone', async () => {
  const id = await liveSpace();
  const space = await node.store.spaces.get(id);
  assert.ok(space);
  const startedAtMs = Date.now();
  const opus = tonePackager(440, startedAtMs);
  const aac = toneAac(440, startedAtMs);
  try {
    await recordings.started(space, {
      packager: opus.packager,
      startedAtMs,
      aac: { packager: aac.packager },
    });
    const spaceDir = join(dir, id);

    // Too little recorded yet: a coded refusal, not a 2 s "clip".
    opus.push(2);
    await until(
      '2 s of Opus on disk',
      async () => ((await readRecorded(spaceDir))?.totalSamples ?? 0) >= 96_000,
    );
    const early = await call('POST', `/api/v1/spaces/${id}/clips`, { token: host.token, body: {} });
    assert.equal(early.status, 400);
    assert.equal(code(early), 'clip_out_of_range');

    opus.push(31);
    aac.push(33); // 33 s of the mix
    await until(
      '32 s of AAC on disk',
      async () => {
        const s = await readRecorded(aacDirOf(spaceDir));
        return (s?.totalSamples ?? 0) >= 32 * 48_000;
      },
      120_000,
    ); // a deadline for a busy machine: the AAC encoder is a WASM worker

    // An anonymous listener needs their ticket.
    const noTicket = await call('POST', `/api/v1/spaces/${id}/clips`, { body: {} });
    assert.equal(noTicket.status, 403);
    assert.equal(code(noTicket), 'invalid_ticket');
    const forged = await call('POST', `/api/v1/spaces/${id}/clips`, { body: { ticket: 'x.y' } });
    assert.equal(code(forged), 'invalid_ticket');
    const ticket = await ticketFor(id);
    const made = await call<ClipView>('POST', `/api/v1/spaces/${id}/clips`, { body: { ticket } });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const clip = made.body;
    assert.equal(clip.codec, 'aac');
    assert.equal(clip.creator, null, 'anonymous');
    assert.equal(clip.spaceTitle, 'Clip me');
    assert.equal(clip.host.id, host.id);
    assert.equal(clip.canDelete, false);
    assert.ok(Math.abs(clip.durationSeconds - 30) < 0.03, `${clip.durationSeconds} s`);
    assert.match(clip.id, /^[A-Za-z0-9_-]{22}$/, '128 random bits');
    assert.equal(pathOf(clip.pageUrl), `/c/${clip.id}`);
    assert.equal(pathOf(clip.audioUrl), `/replay/${id}/clips/${clip.id}.m4a`);

    const file = await download(clip);
    assert.equal(codecOf(file), 'aac');
    const seconds = ffprobeDuration(file);
    assert.ok(Math.abs(seconds - 30) < 0.1, `ffprobe: ${seconds} s`);
    const pcm = ffmpegDecode(file);
    assert.ok(Math.abs(pcm.length / 48_000 - 30) < 0.1, `decoded ${pcm.length / 48_000} s`);
    assert.equal(dominantFrequency(pcm.subarray(48_000, 48_000 * 3), [220, 330, 440, 550, 660]), 440);

    // Safari plays only from a server that answers ranges.
    const part = await fetch(`${base}${pathOf(clip.audioUrl)}`, { headers: { range: 'bytes=0-99' } });
    assert.equal(part.status, 206);
    assert.match(part.headers.get('content-range') ?? '', /^bytes 0-99\/\d+$/);
    assert.equal((await part.arrayBuffer()).byteLength, 100);
    const etag = part.headers.get('etag') ?? '';
    const cached = await fetch(`${base}${pathOf(clip.audioUrl)}`, { headers: { 'if-none-match': etag } });
    assert.equal(cached.status, 304);

    // Read back; a signed-in listener's clip names them; the list has both, newest first.
    const read = await call<ClipView>('GET', `/api/v1/clips/${clip.id}`);
    assert.equal(read.status, 200);
    assert.deepEqual(read.body, clip);
    const listener = await signUp(node, 'listener');
    nowMs += 1000; // made a second later: listed first
    const theirs = await call<ClipView>('POST', `/api/v1/spaces/${id}/clips`, {
      token: listener.token,
      body: { durationSeconds: 10 },
    });
    assert.equal(theirs.status, 201);
    assert.equal(theirs.body.creator?.id, listener.id);
    assert.equal(theirs.body.canDelete, true);
    assert.ok(Math.abs(theirs.body.durationSeconds - 10) < 0.03);
    const list = await call<{ clips: ClipView[] }>('GET', `/api/v1/spaces/${id}/clips`);
    assert.deepEqual(
      list.body.clips.map((c) => c.id),
      [theirs.body.id, clip.id],
    );
  } finally {
    opus.packager.end();
    await aac.end();
    aac.close();
    await recordings.ended(id);
  }
});

test('a replay: a chosen window as Opus (no AAC rendition); past the end, bad starts and lengths are coded 400s', async () => {
  const id = await liveSpace();
  const space = await node.store.spaces.get(id);
  assert.ok(space);
  const { packager, push } = tonePackager(660, Date.now());
  await recordings.started(space, { packager, startedAtMs: Date.now() });
  push(20);
  assert.equal((await host.client.post(`/api/v1/spaces/${id}/end`)).status, 200);
  node.plane.spaces.invalidate(id); // this server is a second HttpServer over the same plane
  const finishing = await call('POST', `/api/v1/spaces/${id}/clips`, { body: {} });
  assert.equal(finishing.status, 409, 'ended, the recording not finished yet');
  assert.equal((finishing.body as ErrorBody).error.details?.reason, 'recording_finishing');
  packager.end();
  await recordings.ended(id);

  // Anyone may clip a replay: no session, no ticket.
  const made = await call<ClipView>('POST', `/api/v1/spaces/${id}/clips`, {
    body: { startSeconds: 5, durationSeconds: 10 },
  });
  assert.equal(made.status, 201, JSON.stringify(made.body));
  assert.equal(made.body.codec, 'opus');
  assert.equal(made.body.startSeconds, 5);
  assert.ok(Math.abs(made.body.durationSeconds - 10) < 0.03);
  const file = await download(made.body);
  assert.equal(codecOf(file), 'opus');
  const seconds = ffprobeDuration(file);
  assert.ok(Math.abs(seconds - 10) < 0.1, `ffprobe: ${seconds} s`);
  const pcm = ffmpegDecode(file);
  assert.equal(dominantFrequency(pcm.subarray(48_000, 48_000 * 3), [440, 550, 660, 770]), 660);

  // No start: the last 30 s, which is the whole 20 s recording.
  const whole = await call<ClipView>('POST', `/api/v1/spaces/${id}/clips`, { body: {} });
  assert.equal(whole.status, 201);
  assert.equal(whole.body.startSeconds, 0);
  assert.ok(Math.abs(whole.body.durationSeconds - 20) < 0.03);

  const bad = async (body: unknown, want: string) => {
    const r = await call('POST', `/api/v1/spaces/${id}/clips`, { body });
    assert.equal(code(r), want, JSON.stringify(body));
    assert.equal(r.status, 400);
  };
  await bad({ startSeconds: 15, durationSeconds: 10 }, 'clip_out_of_range'); // ends at 25 s of 20
  await bad({ startSeconds: 1_000 }, 'clip_out_of_range');
  await bad({ startSeconds: -1 }, 'validation_failed');
  await bad({ startSeconds: 'NaN' }, 'validation_failed');
  await bad({ startSeconds: null }, 'validation_failed');
  await bad({ durationSeconds: 61 }, 'validation_failed');
  await bad({ durationSeconds: 1 }, 'validation_failed');
  await bad({ startSeconds: 1e300 }, 'validation_failed');
  await bad({ extra: true }, 'validation_failed');
  // The host cut the first 4 s of the replay: a replay clip's start is in replay time.
  assert.equal(await node.store.recordings.setTrim(id, 4), true);
  const trimmed = await call<ClipView>('POST', `/api/v1/spaces/${id}/clips`, {
    body: { startSeconds: 0, durationSeconds: 10 },
  });
  assert.equal(trimmed.status, 201);
  assert.equal(trimmed.body.startSeconds, 4, 'seconds into the recording as recorded');
  await bad({ startSeconds: 7, durationSeconds: 10 }, 'clip_out_of_range'); // 16 s are left
  const notJson = await fetch(`${base}/api/v1/spaces/${id}/clips`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"startSeconds": NaN}',
  });
  assert.equal(notJson.status, 400);
});

test('no clip of what is not recorded: unknown, unrecorded and scheduled spaces, unknown clips', async () => {
  const unknown = await call('POST', '/api/v1/spaces/nosuchspace0/clips', { token: host.token, body: {} });
  assert.equal(unknown.status, 404);
  assert.equal(code(unknown), 'space_not_found');
  const unrecorded = await liveSpace(false);
  const r = await call('POST', `/api/v1/spaces/${unrecorded}/clips`, { token: host.token, body: {} });
  assert.equal(r.status, 404);
  assert.equal(code(r), 'no_recording');
  const recordedNothingYet = await liveSpace();
  const r2 = await call('POST', `/api/v1/spaces/${recordedNothingYet}/clips`, {
    token: host.token,
    body: {},
  });
  assert.equal(code(r2), 'no_recording');
  const scheduled = await host.client.post<{ id: string }>('/api/v1/spaces', {
    title: 'Later',
    scheduledFor: new Date(Date.now() + DAY).toISOString(),
  });
  assert.equal(scheduled.status, 201);
  const r3 = await call('POST', `/api/v1/spaces/${scheduled.body.id}/clips`, { token: host.token, body: {} });
  assert.equal(r3.status, 409);
  assert.equal(code(r3), 'invalid_state');
  for (const [method, path] of [
    ['GET', '/api/v1/clips/nosuchclip0'],
    ['DELETE', '/api/v1/clips/nosuchclip0'],
  ] as const) {
    const res = await call(method, path, { token: host.token });
    assert.equal(res.status, 404);
    assert.equal(code(res), 'clip_not_found');
  }
  assert.equal(code(await call('GET', '/api/v1/clips/..%2Fetc')), 'validation_failed');
  assert.equal((await fetch(`${base}/replay/${unrecorded}/clips/nosuchclip0.m4a`)).status, 404);
  assert.equal(code(await call('GET', '/api/v1/spaces/nosuchspace0/clips')), 'space_not_found');
});

/** A finished recording of `seconds` of a tone, for clips that are not about cutting. */
async function replayOf(seconds: number): Promise<string> {
  const id = await liveSpace();
  const space = await node.store.spaces.get(id);
  assert.ok(space);
  const { packager, push } = tonePackager(440, Date.now());
  await recordings.started(space, { packager, startedAtMs: Date.now() });
  push(seconds);
  assert.equal((await host.client.post(`/api/v1/spaces/${id}/end`)).status, 200);
  node.plane.spaces.invalidate(id);
  packager.end();
  await recordings.ended(id);
  return id;
}

test('deleting: not by a stranger (403) or anonymously (401); by its maker or the host; then 410 and the file gone', async () => {
  const id = await replayOf(8);
  const maker = await signUp(node, 'maker');
  const stranger = await signUp(node, 'stranger');
  const make = async () => {
    const r = await call<ClipView>('POST', `/api/v1/spaces/${id}/clips`, { token: maker.token, body: {} });
    assert.equal(r.status, 201);
    return r.body;
  };
  const a = await make();
  const b = await make();
  const fileOf = (c: ClipView) => join(dir, CLIPS_DIR, `${c.id}.m4a`);
  assert.ok(existsSync(fileOf(a)));

  assert.equal((await call('DELETE', `/api/v1/clips/${a.id}`)).status, 401);
  const refused = await call('DELETE', `/api/v1/clips/${a.id}`, { token: stranger.token });
  assert.equal(refused.status, 403);
  assert.equal(code(refused), 'not_clip_owner');
  assert.equal(
    (await call<ClipView>('GET', `/api/v1/clips/${a.id}`, { token: stranger.token })).body.canDelete,
    false,
  );
  assert.equal(
    (await call<ClipView>('GET', `/api/v1/clips/${a.id}`, { token: host.token })).body.canDelete,
    true,
  );

  assert.equal((await call('DELETE', `/api/v1/clips/${a.id}`, { token: maker.token })).status, 204);
  assert.equal((await call('DELETE', `/api/v1/clips/${b.id}`, { token: host.token })).status, 204);
  for (const c of [a, b]) {
    const gone = await call('GET', `/api/v1/clips/${c.id}`);
    assert.equal(gone.status, 410);
    assert.equal(code(gone), 'clip_gone');
    assert.equal((await fetch(`${base}${pathOf(c.audioUrl)}`)).status, 404);
    assert.equal(existsSync(fileOf(c)), false, 'the file is gone');
  }
  assert.equal(code(await call('DELETE', `/api/v1/clips/${a.id}`, { token: maker.token })), 'clip_gone');
  assert.deepEqual((await call<{ clips: ClipView[] }>('GET', `/api/v1/spaces/${id}/clips`)).body.clips, []);
});

test('retention: a clip expires after 30 days (clock injected); the sweep removes its file, and files of clips deleted elsewhere', async () => {
  const id = await replayOf(6);
  const make = async () => {
    const r = await call<ClipView>('POST', `/api/v1/spaces/${id}/clips`, { body: {} });
    assert.equal(r.status, 201);
    return r.body;
  };
  const old = await make();
  const deletedElsewhere = await make();
  // Another node deleted this one: its row says so, the file on this disk is still there.
  await node.store.clips.markDeleted(deletedElsewhere.id, new Date(nowMs).toISOString());
  assert.equal((await fetch(`${base}${pathOf(deletedElsewhere.audioUrl)}`)).status, 404, 'never served');
  assert.ok(existsSync(join(dir, CLIPS_DIR, `${deletedElsewhere.id}.m4a`)));
  nowMs += 29 * DAY;
  const young = await make();
  assert.equal(await clips.sweep(), 1, 'only the deleted one goes at day 29');
  assert.equal((await call('GET', `/api/v1/clips/${old.id}`)).status, 200);

  nowMs += 1 * DAY + 1000; // the first (and every clip of the tests before) is now past 30 days
  const expired = await call('GET', `/api/v1/clips/${old.id}`);
  assert.equal(expired.status, 410, 'expired is gone at once, before any sweep');
  const files = () => readdirSync(join(dir, CLIPS_DIR)).filter((n) => n.endsWith('.m4a'));
  const before = files();
  assert.ok(before.includes(`${old.id}.m4a`));
  assert.equal(await clips.sweep(), before.length - 1, 'every file but the young clip');
  assert.equal((await node.store.clips.get(old.id))?.deletedAt, new Date(nowMs).toISOString());
  assert.deepEqual(files(), [`${young.id}.m4a`]);
  assert.equal((await call('GET', `/api/v1/clips/${young.id}`)).status, 200);
});

test('clips are rate-limited per account (guard.clipsPerAccount), with a coded 429', async () => {
  const id = await replayOf(6);
  const busy = await signUp(node, 'busy');
  const statuses: number[] = [];
  let last: Res<unknown> | undefined;
  for (let i = 0; i < 7; i++) {
    last = await call('POST', `/api/v1/spaces/${id}/clips`, { token: busy.token, body: {} });
    statuses.push(last.status);
  }
  assert.deepEqual(statuses, [201, 201, 201, 201, 201, 201, 429]);
  assert.ok(last);
  assert.equal(code(last), 'rate_limited');
  assert.equal((last.body as ErrorBody).error.details?.limit, 'clip-account');
  assert.ok(Number(last.headers.get('retry-after')) > 0);
});
