/**
 * Backstage (issue 15) with real media: WebRTC on loopback and a real recording directory.
 *  - in the backstage two publishers hear each other through mix-minus, while a waiting listener's playlist
 *    answers 409 `space_not_live`; no part is cut and no recording exists;
 *  - go-live flips it on the same media and the same WHIP peers (nobody reconnects): parts appear, the
 *    waiting listener gets `space.state`, and the recording starts at the go-live moment: the replay's first
 *    program date is not before it, and its duration fits the live time, not the backstage before it.
 * Every step waits on a state or on counted packets, never on a clock.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { SpeakerBot } from '../../src/bot/index.js';
import { EventClient } from '../../src/testing/EventClient.js';
import { until } from '../../src/testing/until.js';
import type { RostraNode } from '../../src/server/RostraNode.js';
import { openTestNode, signUp, type ErrorBody, type TestUser } from '../../src/testing/TestNode.js';

/** Polls until `cond` holds (src/testing/until.ts); the deadline is for a busy machine, not a bound. */
const waitFor = (what: string, cond: () => boolean | Promise<boolean>, detail: () => string = () => '') =>
  until(() => `${what} ${detail()}`, cond, 60_000);
const heard = (bot: SpeakerBot, hz: number) => bot.report().heard.some((t) => t.frequencyHz === hz);
const code = (res: { body: unknown }) => (res.body as ErrorBody).error.code;

interface View {
  id: string;
  state: string;
  startedAt: string | null;
  endedAt: string | null;
}

let node: RostraNode;
let base: string;
let dir: string;
let host: TestUser;
let cohost: TestUser;
let listener: TestUser;
const bots: SpeakerBot[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rostra-backstage-'));
  node = await openTestNode({ config: { dataDir: dir } });
  await node.listen();
  base = `http://127.0.0.1:${node.http.port}`;
  host = await signUp(node, 'bhost');
  cohost = await signUp(node, 'bcohost');
  listener = await signUp(node, 'blisten');
});

after(async () => {
  await Promise.all(bots.map((b) => b.stop()));
  await node.close();
  rmSync(dir, { recursive: true, force: true });
});

const sp = (id: string) => `/api/v1/spaces/${id}`;
const bot = (user: TestUser, id: string, hz: number) => {
  const b = new SpeakerBot({
    connectTimeoutMs: 60_000, // a deadline for a busy machine
    whipUrl: `${base}${sp(id)}/whip`,
    token: user.token,
    audio: { kind: 'tone', frequencyHz: hz, levelDbfs: -20 },
    listenHz: [440, 660],
  });
  bots.push(b);
  return b;
};
const scheduled = async (title: string) =>
  (
    await host.client.post<View>('/api/v1/spaces', {
      title,
      scheduledFor: new Date(Date.now() + 3_600_000).toISOString(),
    })
  ).body.id;

test('backstage: publishers hear each other, listeners wait unheard; go-live flips it on the same peers', async () => {
  const id = await scheduled('The show');
  assert.equal((await host.client.post(`${sp(id)}/backstage`)).status, 200);
  // The model allows a co-host in the backstage, like on a live stage.
  assert.equal((await host.client.post(`${sp(id)}/users/${cohost.id}/cohost`)).status, 204);
  // A new member starts muted, as on X: they unmute themselves.
  assert.equal((await cohost.client.post(`${sp(id)}/users/${cohost.id}/unmute`)).status, 204);

  // A listener arrives: the waiting room counts them; their player gets a coded "not yet".
  const events = await EventClient.connect(base, listener.token);
  await events.subscribe(id);
  const joined = await listener.client.post<{ ticket: string }>(`${sp(id)}/listen`, {});
  assert.equal(joined.status, 200, joined.text);
  const ticket = joined.body.ticket;
  const playlist = (query = '') =>
    fetch(`${base}/live/${id}/audio.m3u8${query}`, { headers: { cookie: `rostra_ticket=${ticket}` } });
  const waiting = await events.next('count', (e) => e.spaceId === id && e.listeners === 1);
  assert.equal(waiting.listeners, 1);

  // Host and co-host publish; each hears the other and not themself (mix-minus, as live).
  const a = bot(host, id, 440);
  const b = bot(cohost, id, 660);
  await Promise.all([a.start(), b.start()]);
  await waitFor(
    'each backstage publisher to hear the other',
    () => heard(a, 660) && heard(b, 440),
    () => JSON.stringify([a.report(), b.report()].map((r) => [r.packetsReceived, r.heard])),
  );
  assert.equal(heard(a, 440), false, 'the host does not hear themself');
  assert.equal(heard(b, 660), false, 'the co-host does not hear themself');
  // A few seconds of backstage audio, counted in packets that arrived (100 = 2 s).
  const from = a.report().packetsReceived;
  await waitFor('2 s of backstage audio', () => a.report().packetsReceived >= from + 100);

  // Nothing is broadcast or recorded: the playlist is refused, no part was cut, no recording exists.
  const notYet = await playlist();
  assert.equal(notYet.status, 409);
  assert.equal(((await notYet.json()) as ErrorBody).error.code, 'space_not_live');
  assert.ok(Number(notYet.headers.get('retry-after')) > 0, 'Retry-After');
  assert.equal((await playlist('?_HLS_msn=0&_HLS_part=0')).status, 409);
  const media = node.media.get(id);
  assert.ok(media, 'the backstage has media on this node');
  assert.equal(media.onAir, false);
  assert.equal(media.packager.playlist.segmentMsns().length, 0, 'no segment was cut');
  assert.equal(await node.store.recordings.get(id), undefined, 'no recording before go-live');
  const peers = { host: media.stage.peer(host.id)?.id, cohost: media.stage.peer(cohost.id)?.id };
  assert.ok(peers.host !== undefined && peers.cohost !== undefined);

  // Only host and co-hosts go live.
  const byListener = await listener.client.post(`${sp(id)}/start`);
  assert.equal(byListener.status, 403);
  assert.equal(code(byListener), 'not_moderator');
  const started = await cohost.client.post<View>(`${sp(id)}/start`);
  assert.equal(started.status, 200, started.text);
  assert.equal(started.body.state, 'live');
  const startedAt = Date.parse(started.body.startedAt ?? '');
  assert.ok(Number.isFinite(startedAt));
  assert.equal(code(await host.client.post(`${sp(id)}/start`)), 'invalid_state');
  assert.equal(code(await host.client.post(`${sp(id)}/backstage`)), 'invalid_state');

  // The waiting listener hears of it over the socket; their playlist now plays.
  const flipped = await events.next('space.state', (e) => e.spaceId === id && e.state === 'live');
  assert.equal(flipped.at, started.body.startedAt);
  await waitFor('the playlist after go-live', async () => (await playlist()).status === 200);
  const text = await (await playlist()).text();
  const hint = /#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part(\d+)\.(\d+)\.m4s"/.exec(text);
  assert.ok(hint, text);
  // A blocking reload for a later part answers once it is cut: the broadcast runs.
  const next = await playlist(`?_HLS_msn=${hint[1]}&_HLS_part=${hint[2]}`);
  assert.equal(next.status, 200);

  // Same media, same peers, nobody reconnected; they still hear each other.
  assert.equal(node.media.get(id), media);
  assert.equal(media.onAir, true);
  assert.equal(media.stage.peer(host.id)?.id, peers.host);
  assert.equal(media.stage.peer(cohost.id)?.id, peers.cohost);
  assert.equal(a.reconnects + b.reconnects, 0);
  a.resetHearing();
  b.resetHearing();
  await waitFor('each publisher to still hear the other', () => heard(a, 660) && heard(b, 440));
  await waitFor(
    'a recording row after go-live',
    async () => (await node.store.recordings.get(id)) !== undefined,
  );
  const more = a.report().packetsReceived;
  await waitFor('2 s of live audio', () => a.report().packetsReceived >= more + 100);

  // The end: the replay holds the live part only (the backstage lasted ≥ 2 s of audio and is not in it).
  await events.close();
  const ended = await host.client.post<View>(`${sp(id)}/end`);
  assert.equal(ended.status, 200);
  const liveSeconds = (Date.parse(ended.body.endedAt ?? '') - startedAt) / 1000;
  let replay: { durationSeconds: number; playlistUrl: string } | undefined;
  await waitFor('the replay', async () => {
    const r = await host.client.get<{ durationSeconds: number; playlistUrl: string }>(`${sp(id)}/replay`);
    if (r.status === 200) replay = r.body;
    return r.status === 200;
  });
  assert.ok(replay);
  console.log(
    `backstage: recorded ${replay.durationSeconds.toFixed(2)} s for ${liveSeconds.toFixed(2)} s live ` +
      `(the backstage before it lasted ≥ 2 s of audio, and is not in the recording)`,
  );
  assert.ok(replay.durationSeconds > 0, `${replay.durationSeconds} s recorded`);
  assert.ok(
    replay.durationSeconds <= liveSeconds + 1,
    `recorded ${replay.durationSeconds} s, live ${liveSeconds} s: the backstage was recorded`,
  );
  // The replay's multivariant playlist names the Opus media playlist after its CODECS="opus" line.
  const multivariant = `${base}${replay.playlistUrl}`;
  const opusUri = /CODECS="opus"\n(\S+)/.exec(await (await fetch(multivariant)).text())?.[1];
  assert.ok(opusUri !== undefined);
  const vod = await (await fetch(new URL(opusUri, multivariant))).text();
  const pdt = /#EXT-X-PROGRAM-DATE-TIME:(\S+)/.exec(vod);
  assert.ok(pdt, vod);
  assert.ok(
    Date.parse(pdt[1] ?? '') >= startedAt - 1,
    `first part at ${pdt[1]}, live at ${started.body.startedAt}`,
  );
});
