/**
 * Backstage (issue 15), the control plane over real HTTP: the transitions (scheduled → backstage → live;
 * backstage → ended / cancelled), who may make them, the coded 409 for a wrong state, the waiting room, the
 * listing, and a backstage whose hosts are gone ending by itself (SpaceLifecycle, manual clock).
 * The media side (publishers hear each other, nothing broadcast or recorded before go-live, the same WHIP
 * peers after it) is in test/media/backstage.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { StagePresence } from '../src/control/StagePresence.js';
import { EventClient } from '../src/testing/EventClient.js';
import type { RostraNode } from '../src/server/RostraNode.js';
import {
  ManualClock,
  openTestNode,
  signUp,
  TestClient,
  type ErrorBody,
  type TestUser,
} from '../src/testing/TestNode.js';

const later = (hours: number) => new Date(Date.now() + hours * 3_600_000).toISOString();
const code = (res: { body: unknown }) => (res.body as ErrorBody).error.code;

interface View {
  id: string;
  state: string;
  listenerCount: number;
  startedAt: string | null;
  endedAt: string | null;
}

describe('backstage transitions on one node', () => {
  let node: RostraNode;
  let base: string;
  let host: TestUser;
  let cohost: TestUser;
  let listener: TestUser;
  let anon: TestClient;

  before(async () => {
    node = await openTestNode();
    await node.listen();
    base = `http://127.0.0.1:${node.http.port}`;
    host = await signUp(node, 'bhost');
    cohost = await signUp(node, 'bcohost');
    listener = await signUp(node, 'blisten');
    anon = new TestClient(node);
  });

  after(async () => {
    await node.close();
  });

  const scheduled = async (title = 'Backstage') =>
    (await host.client.post<View>('/api/v1/spaces', { title, scheduledFor: later(1) })).body.id;
  const sp = (id: string) => `/api/v1/spaces/${id}`;

  test('open backstage: host only (not_host / unauthenticated), then a wrong state is a coded 409', async () => {
    const id = await scheduled();
    const byListener = await listener.client.post(`${sp(id)}/backstage`);
    assert.equal(byListener.status, 403);
    assert.equal(code(byListener), 'not_host');
    assert.equal(code(await anon.post(`${sp(id)}/backstage`)), 'unauthenticated');
    const opened = await host.client.post<View>(`${sp(id)}/backstage`);
    assert.equal(opened.status, 200, opened.text);
    assert.equal(opened.body.state, 'backstage');
    assert.equal(opened.body.startedAt, null, 'not started: the backstage is not the space');
    const again = await host.client.post(`${sp(id)}/backstage`);
    assert.equal(again.status, 409);
    assert.equal(code(again), 'invalid_state');
    // Listed apart from scheduled and live spaces, for the home page's "Starting soon".
    const listed = await anon.get<{ spaces: View[] }>('/api/v1/spaces?state=backstage&limit=50');
    assert.ok(listed.body.spaces.some((s) => s.id === id && s.state === 'backstage'));
    for (const state of ['scheduled', 'live']) {
      const other = await anon.get<{ spaces: View[] }>(`/api/v1/spaces?state=${state}&limit=50`);
      assert.ok(!other.body.spaces.some((s) => s.id === id), `not in ${state}`);
    }
    // A live space has no backstage.
    const live = (await host.client.post<View>('/api/v1/spaces', { title: 'Live' })).body.id;
    assert.equal(code(await host.client.post(`${sp(live)}/backstage`)), 'invalid_state');
  });

  test('a backstage can be cancelled or ended by its host before it goes live; then it is over', async () => {
    const a = await scheduled();
    await host.client.post(`${sp(a)}/backstage`);
    assert.equal((await host.client.post<View>(`${sp(a)}/cancel`)).body.state, 'cancelled');
    const b = await scheduled();
    await host.client.post(`${sp(b)}/backstage`);
    assert.equal(code(await listener.client.post(`${sp(b)}/end`)), 'not_host');
    const ended = await host.client.post<View>(`${sp(b)}/end`);
    assert.equal(ended.body.state, 'ended');
    assert.equal(ended.body.startedAt, null);
    const gone = await host.client.post(`${sp(b)}/start`);
    assert.equal(gone.status, 410);
    assert.equal(code(gone), 'space_ended');
    assert.equal(code(await host.client.post(`${sp(b)}/backstage`)), 'space_ended');
    // Never live, so never recorded.
    assert.equal(await node.store.recordings.get(b), undefined);
  });

  test('the waiting room: listeners are counted, their playlist is a coded 409 until a co-host goes live', async () => {
    const id = await scheduled('Waiting room');
    assert.equal((await host.client.post(`${sp(id)}/backstage`)).status, 200);
    assert.equal((await host.client.post(`${sp(id)}/users/${cohost.id}/cohost`)).status, 204);
    const events = await EventClient.connect(base, listener.token);
    await events.subscribe(id);
    const joined = await listener.client.post<{ ticket: string }>(`${sp(id)}/listen`, {});
    assert.equal(joined.status, 200, joined.text);
    const anonJoined = await anon.post<{ ticket: string }>(`${sp(id)}/listen`, {});
    assert.equal(anonJoined.status, 200, anonJoined.text);
    // Two wait: the count event says so, and so does the space (a node-local cache of ~1 s aside).
    await events.next('count', (e) => e.spaceId === id && e.listeners === 2);
    assert.equal((await node.plane.spaces.view(id)).listenerCount, 2);
    const playlist = (query = '') =>
      fetch(`${base}/live/${id}/audio.m3u8${query}`, {
        headers: { cookie: `rostra_ticket=${joined.body.ticket}` },
      });
    const notYet = await playlist();
    assert.equal(notYet.status, 409);
    assert.equal(((await notYet.json()) as ErrorBody).error.code, 'space_not_live');
    assert.ok(Number(notYet.headers.get('retry-after')) > 0, 'Retry-After');
    assert.equal(node.media.get(id), undefined, 'a listener does not start a backstage’s media');
    // Heartbeats keep a waiting listener counted.
    const beat = await listener.client.post(`${sp(id)}/heartbeat`, { ticket: joined.body.ticket });
    assert.ok(beat.status < 300, beat.text);

    const byListener = await listener.client.post(`${sp(id)}/start`);
    assert.equal(byListener.status, 403);
    assert.equal(code(byListener), 'not_moderator');
    const started = await cohost.client.post<View>(`${sp(id)}/start`);
    assert.equal(started.status, 200, started.text);
    assert.equal(started.body.state, 'live');
    assert.ok(started.body.startedAt !== null);
    const flipped = await events.next('space.state', (e) => e.spaceId === id && e.state === 'live');
    assert.equal(flipped.at, started.body.startedAt);
    assert.equal(code(await host.client.post(`${sp(id)}/start`)), 'invalid_state');
    assert.equal(code(await host.client.post(`${sp(id)}/backstage`)), 'invalid_state');
    // Live now: the same ticket plays.
    assert.equal((await playlist()).status, 200);
    await events.close();
  });
});

describe('a backstage nobody hosts ends by itself', () => {
  const MIN = 60_000;
  let node: RostraNode;
  let clock: ManualClock;
  let host: TestUser;

  before(async () => {
    clock = new ManualClock(Date.now());
    node = await openTestNode({
      clock,
      config: { lifecycle: { hostAbsentMinutes: 5, ghostSpeakerSeconds: 60 } },
    });
    await node.listen();
    await node.lifecycle.close(); // the test sweeps, with its own clock
    host = await signUp(node, 'lhost');
  });

  after(async () => {
    await node.close();
  });

  test('hosts gone for hostAbsent: the backstage ends; with the host watching, it stays', async () => {
    const make = async () => {
      const id = (
        await host.client.post<View>('/api/v1/spaces', {
          title: 'Absent',
          scheduledFor: new Date(clock.now().getTime() + 3_600_000).toISOString(),
        })
      ).body.id;
      assert.equal((await host.client.post(`/api/v1/spaces/${id}/backstage`)).status, 200);
      return id;
    };
    const left = await make();
    const watched = await make();
    const ev = await EventClient.connect(`http://127.0.0.1:${node.http.port}`, host.token);
    await ev.subscribe(watched);
    await node.stagePresence.refresh();
    assert.ok((await StagePresence.present(node.bus, watched)).has(`e:${host.id}`));
    assert.deepEqual((await node.lifecycle.sweep()).ended, []);
    clock.advance(5 * MIN);
    const swept = await node.lifecycle.sweep();
    assert.deepEqual(swept.ended, [left]);
    assert.equal((await node.store.spaces.get(left))?.state, 'ended');
    assert.equal((await node.store.spaces.get(watched))?.state, 'backstage');
    await ev.close();
  });
});
