/**
 * Speakers on stage, end to end over loopback: bots publish through the real WHIP routes, hear each other
 * through the server's mix-minus (never themselves), and follow moderation (mute, take the mic, the end).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { SpeakerBot } from '../../src/bot/index.js';
import type { RostraNode } from '../../src/server/RostraNode.js';
import { openTestNode, signUp, type ErrorBody, type TestUser } from '../../src/testing/TestNode.js';

let node: RostraNode;
let base: string;
let host: TestUser;
let speaker: TestUser;
let spaceId: string;
const bots: SpeakerBot[] = [];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor(what: string, cond: () => boolean, ms = 8000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
const heard = (bot: SpeakerBot, hz: number) => bot.report().heard.some((t) => t.frequencyHz === hz);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

function bot(user: TestUser, frequencyHz: number): SpeakerBot {
  const b = new SpeakerBot({
    whipUrl: `${base}/api/v1/spaces/${spaceId}/whip`,
    token: user.token,
    audio: { kind: 'tone', frequencyHz, levelDbfs: -20, pulse: { everyMs: 500, durationMs: 10 } },
    listenHz: [440, 660],
  });
  bots.push(b);
  return b;
}

before(async () => {
  node = await openTestNode();
  await node.listen();
  base = `http://127.0.0.1:${node.http.port}`;
  host = await signUp(node, 'host');
  speaker = await signUp(node, 'speaker');
  spaceId = (await host.client.post<{ id: string }>('/api/v1/spaces', { title: 'Stage' })).body.id;
  await host.client.post(`/api/v1/spaces/${spaceId}/users/${speaker.id}/invite`);
  await speaker.client.post(`/api/v1/spaces/${spaceId}/invitation`, { accept: true });
  // A new speaker starts muted, as on X: they unmute themselves.
  assert.equal(
    (await speaker.client.post(`/api/v1/spaces/${spaceId}/users/${speaker.id}/unmute`)).status,
    204,
  );
});

after(async () => {
  await Promise.all(bots.map((b) => b.stop()));
  await node.close();
});

test('two speakers hear each other through mix-minus, and not themselves; the server delay is printed', async () => {
  const a = bot(host, 440);
  const b = bot(speaker, 660);
  const [connectA, connectB] = await Promise.all([a.start(), b.start()]);
  await waitFor('each bot to hear the other', () => heard(a, 660) && heard(b, 440));
  await waitFor('pulses at the speaker', () => b.report().pulsesHeard.length >= 4);
  assert.equal(b.report().heard[0]?.frequencyHz, 440, 'the speaker hears the host');
  assert.equal(heard(b, 660), false, 'the speaker does not hear themself');
  assert.equal(a.report().heard[0]?.frequencyHz, 660, 'the host hears the speaker');
  assert.equal(heard(a, 440), false, 'the host does not hear themself');
  const ra = a.report();
  const rb = b.report();
  const delays = rb.pulsesHeard.map((at) => at - Math.max(...ra.pulsesSent.filter((s) => s <= at)));
  console.log(
    `stage over loopback: connect ${connectA.toFixed(0)}/${connectB.toFixed(0)} ms; ` +
      `speaker→server→speaker pulse delay median ${median(delays).toFixed(0)} ms (n=${delays.length})`,
  );
  assert.ok(
    delays.every((d) => d >= 0 && d < 1000),
    `delays ${delays.map((d) => d.toFixed(0)).join(',')}`,
  );
});

test('the host mutes the speaker: their tone stops for the host; they unmute themselves: it returns', async () => {
  const [a] = bots as [SpeakerBot, SpeakerBot];
  assert.equal((await host.client.post(`/api/v1/spaces/${spaceId}/users/${speaker.id}/mute`)).status, 204);
  await sleep(300);
  a.resetHearing();
  await sleep(400);
  assert.equal(heard(a, 660), false, 'muted on the server: nothing of 660 Hz reaches the host');
  assert.equal(
    (await speaker.client.post(`/api/v1/spaces/${spaceId}/users/${speaker.id}/unmute`)).status,
    204,
  );
  await waitFor('the host to hear the speaker again', () => heard(a, 660), 3000);
});

test('a listener cannot publish: 403 not_on_stage; a bad offer: 400 invalid_sdp', async () => {
  const listener = await signUp(node, 'listener');
  const post = (token: string, body: string) =>
    fetch(`${base}/api/v1/spaces/${spaceId}/whip`, {
      method: 'POST',
      headers: { 'content-type': 'application/sdp', authorization: `Bearer ${token}` },
      body,
    });
  const refused = await post(listener.token, 'v=0\r\n');
  assert.equal(refused.status, 403);
  assert.equal(((await refused.json()) as ErrorBody).error.code, 'not_on_stage');
  const bad = await post(
    host.token,
    'v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n',
  );
  assert.equal(bad.status, 400);
  assert.match(((await bad.json()) as ErrorBody).error.code, /^(invalid_sdp|unsupported_codec)$/);
  const noAuth = await fetch(`${base}/api/v1/spaces/${spaceId}/whip`, {
    method: 'POST',
    headers: { 'content-type': 'application/sdp' },
    body: 'v=0',
  });
  assert.equal(noAuth.status, 401);
});

test('taking the mic closes the speaker peer; ending the space closes every peer and leaks nothing', async () => {
  const media = node.media.get(spaceId);
  assert.ok(media);
  await waitFor('both peers connected', () => media.stage.speakers().length === 2);
  assert.equal(
    (await host.client.post(`/api/v1/spaces/${spaceId}/users/${speaker.id}/take-mic`)).status,
    204,
  );
  await waitFor('the speaker peer to close', () => !media.stage.speakers().includes(speaker.id));
  assert.equal((await host.client.post(`/api/v1/spaces/${spaceId}/end`)).status, 200);
  await waitFor(
    'the media to close and the playlist to end',
    () => media.closed && media.packager.position.ended,
  );
  const c = media.stage.counters();
  assert.deepEqual(
    { peers: c.peers, timers: c.timers, listeners: c.listeners },
    { peers: 0, timers: 0, listeners: 0 },
  );
});
