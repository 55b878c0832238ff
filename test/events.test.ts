/** The WebSocket event stream over real sockets: stage changes, requests, reactions, counts, reminders. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { RostraNode } from '../src/server/RostraNode.js';
import { EventClient } from '../src/testing/EventClient.js';
import { openTestNode, signUp, TestClient, type TestUser } from '../src/testing/TestNode.js';

let node: RostraNode;
let base: string;
let host: TestUser;
const open: EventClient[] = [];

before(async () => {
  node = await openTestNode({ config: { timing: { countPushMs: 200 } } });
  await node.listen();
  base = `http://127.0.0.1:${node.http.port}`;
  host = await signUp(node, 'host');
});

after(async () => {
  await Promise.all(open.map((c) => c.close()));
  await node.close();
});

async function connect(token?: string): Promise<EventClient> {
  const c = await EventClient.connect(base, token);
  open.push(c);
  return c;
}

test('stage changes reach every subscriber; requests to speak reach only moderators', async () => {
  const id = (await host.client.post<{ id: string }>('/api/v1/spaces', { title: 'Events' })).body.id;
  const speaker = await signUp(node, 'speaker');
  const listener = await signUp(node, 'listener');
  const hostEvents = await connect(host.token);
  const listenerEvents = await connect(listener.token);
  const speakerEvents = await connect(speaker.token);
  await Promise.all([hostEvents.subscribe(id), listenerEvents.subscribe(id), speakerEvents.subscribe(id)]);

  await host.client.post(`/api/v1/spaces/${id}/users/${speaker.id}/invite`);
  const invitation = await speakerEvents.next('invitation');
  assert.equal(invitation.by.id, host.id);
  await speaker.client.post(`/api/v1/spaces/${id}/invitation`, { accept: true });
  const joined = await listenerEvents.next('stage.changed', (e) => e.cause === 'joined');
  assert.deepEqual(
    joined.stage.map((m) => [m.id, m.role]),
    [
      [host.id, 'host'],
      [speaker.id, 'speaker'],
    ],
  );

  await host.client.post(`/api/v1/spaces/${id}/users/${speaker.id}/mute`);
  const muted = await speakerEvents.next('stage.changed', (e) => e.cause === 'muted');
  assert.equal(muted.by, host.id);
  assert.equal(muted.stage.find((m) => m.id === speaker.id)?.muted, true);

  await listener.client.post(`/api/v1/spaces/${id}/listen`, {});
  await listener.client.post(`/api/v1/spaces/${id}/requests`);
  const request = await hostEvents.next('request.added');
  assert.equal(request.user.id, listener.id);
  // One Bus message is delivered to every local socket in the same pass: had the listener been sent it,
  // it would be there by now.
  assert.equal(listenerEvents.has('request.added'), false, 'requests go to moderators only');
  assert.equal(speakerEvents.has('request.added'), false, 'requests go to moderators only');
});

test('reactions arrive batched; the live count is pushed when it changes', async () => {
  const id = (await host.client.post<{ id: string }>('/api/v1/spaces', { title: 'Reactions' })).body.id;
  const watcher = await connect();
  await watcher.subscribe(id);
  const anon = new TestClient(node);
  const { ticket } = (await anon.post<{ ticket: string }>(`/api/v1/spaces/${id}/listen`, {})).body;
  for (let i = 0; i < 3; i++)
    assert.equal((await anon.post(`/api/v1/spaces/${id}/reactions`, { emoji: '🔥', ticket })).status, 204);
  await host.client.post(`/api/v1/spaces/${id}/reactions`, { emoji: '❤️' });
  const batch = await watcher.next('reactions', (e) => e.spaceId === id);
  assert.deepEqual(batch.counts, { '🔥': 3, '❤️': 1 });
  const count = await watcher.next('count', (e) => e.spaceId === id && e.listeners === 1);
  assert.equal(count.listeners, 1);
});

test('reactions over the per-user rate are refused with rate_limited', async () => {
  const id = (await host.client.post<{ id: string }>('/api/v1/spaces', { title: 'Spam' })).body.id;
  const fan = await signUp(node, 'fan');
  const statuses: number[] = [];
  for (let i = 0; i < 25; i++)
    statuses.push((await fan.client.post(`/api/v1/spaces/${id}/reactions`, { emoji: '👏' })).status);
  assert.equal(statuses.filter((s) => s === 204).length, node.config.limits.reactionsPer10s);
  assert.equal(statuses.filter((s) => s === 429).length, 25 - node.config.limits.reactionsPer10s);
});

test('interested users get a reminder when the space goes live; a removed user is told', async () => {
  const fan = await signUp(node, 'fan');
  const fanEvents = await connect(fan.token);
  const id = (
    await host.client.post<{ id: string }>('/api/v1/spaces', {
      title: 'Soon',
      scheduledFor: new Date(Date.now() + 60_000).toISOString(),
    })
  ).body.id;
  assert.equal((await fan.client.put(`/api/v1/spaces/${id}/interest`)).status, 204);
  assert.equal((await host.client.post(`/api/v1/spaces/${id}/start`)).status, 200);
  const reminder = await fanEvents.next('reminder');
  assert.equal(reminder.spaceId, id);
  assert.equal(reminder.title, 'Soon');
  assert.match(reminder.pageUrl, new RegExp(`/s/${id}$`));

  await fan.client.post(`/api/v1/spaces/${id}/listen`, {});
  await host.client.post(`/api/v1/spaces/${id}/users/${fan.id}/remove`);
  const removed = await fanEvents.next('removed');
  assert.equal(removed.spaceId, id);
});

test('closing sockets releases their Bus subscriptions', async () => {
  await Promise.all(open.splice(0).map((c) => c.close()));
  // Poll until released; the deadline is generous, for a busy machine.
  const deadline = Date.now() + 30_000;
  while (
    Date.now() < deadline &&
    (node.http.events.connections > 0 || node.http.events.busSubscriptions > 0)
  ) {
    await new Promise((r) => setTimeout(r, 20));
  }
  assert.equal(node.http.events.connections, 0);
  assert.equal(node.http.events.busSubscriptions, 0);
});
