/**
 * Spaces end on their own (SpaceLifecycle + StagePresence), across two nodes that share a Store and a Bus,
 * with a manual clock: node A holds the people's sockets, node B sweeps. No sleeps: each step waits on a
 * state, and time moves only when the test moves it.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { openBus, type Bus } from '../src/bus/index.js';
import { StagePresence } from '../src/control/StagePresence.js';
import type { RostraNode } from '../src/server/RostraNode.js';
import { openStore, type Store } from '../src/store/index.js';
import { EventClient } from '../src/testing/EventClient.js';
import { ManualClock, openTestNode, signUp, type TestUser } from '../src/testing/TestNode.js';

const MIN = 60_000;

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

for (const kind of ['memory', 'redis'] as const)
  describe(`space lifecycle across two nodes (${kind} bus)`, () => {
    let store: Store;
    let bus: Bus;
    let clock: ManualClock;
    let a: RostraNode;
    let b: RostraNode;
    let baseA: string;
    const config = { lifecycle: { hostAbsentMinutes: 5, ghostSpeakerSeconds: 60 } };

    before(async () => {
      store = await openStore({});
      bus = await openBus(
        kind === 'redis'
          ? { redisUrl: REDIS_URL, prefix: `rostra-test-${randomBytes(4).toString('hex')}:` }
          : {},
      );
      clock = new ManualClock(Date.now());
      a = await openTestNode({ store, bus, clock, config });
      await a.listen();
      // Only B sweeps here, when the test says so: A's timer would race the manual clock.
      await a.lifecycle.close();
      b = await openTestNode({ store, bus, clock, config });
      baseA = `http://127.0.0.1:${a.http.port}`;
    });

    after(async () => {
      await a?.close();
      await b?.close();
      await bus?.close();
      await store?.close();
    });

    const newSpace = async (host: TestUser) =>
      (await host.client.post<{ id: string }>('/api/v1/spaces', { title: 'Lifecycle' })).body.id;
    const state = async (id: string) =>
      (await b.store.spaces.get(id))?.state ?? assert.fail(`no space ${id}`);
    /** Connects a user's event socket to node A, subscribed to the space, and publishes A's presence. */
    const watch = async (user: TestUser | undefined, spaceId: string) => {
      const ev = await EventClient.connect(baseA, user?.token);
      await ev.subscribe(spaceId);
      await a.stagePresence.refresh();
      return ev;
    };
    /** Closes a socket and waits until node A no longer counts it, then publishes A's presence. */
    const unwatch = async (ev: EventClient, userId: string) => {
      await ev.close();
      const deadline = Date.now() + 10_000;
      while ([...a.http.events.watchers()].some(([, u]) => u === userId)) {
        if (Date.now() > deadline) assert.fail('the closed socket is still counted');
        await new Promise((r) => setImmediate(r));
      }
      await a.stagePresence.refresh();
    };

    test('a space whose host is gone for 5 minutes ends once, from the other node, and says so', async () => {
      const host = await signUp(a, 'host');
      const id = await newSpace(host);
      const listener = await watch(undefined, id);
      const hostSocket = await watch(host, id);
      const fan = await signUp(a, 'fan');
      const fanSocket = await watch(fan, id);
      // Only the stage is written: a signed-in listener's socket costs no presence write.
      assert.deepEqual([...(await StagePresence.present(bus, id))], [`e:${host.id}`]);
      await fanSocket.close();

      await b.lifecycle.sweep();
      clock.advance(10 * MIN);
      assert.deepEqual((await b.lifecycle.sweep()).ended, [], 'a connected host keeps it live');
      assert.equal(await state(id), 'live');

      await unwatch(hostSocket, host.id);
      assert.equal((await StagePresence.present(bus, id)).has(`e:${host.id}`), false);
      await b.lifecycle.sweep(); // the absence starts here
      clock.advance(5 * MIN - 1000);
      assert.deepEqual((await b.lifecycle.sweep()).ended, []);
      assert.equal(await state(id), 'live');
      clock.advance(1000);
      assert.deepEqual((await b.lifecycle.sweep()).ended, [id]);
      assert.equal(await state(id), 'ended');
      const ended = await listener.next('space.state', (e) => e.spaceId === id && e.state === 'ended');
      assert.equal(ended.at, clock.now().toISOString());
      // The other node's sweep finds nothing left to do: the end is a compare-and-set.
      assert.deepEqual((await a.lifecycle.sweep()).ended, []);
      await listener.close();
    });

    test('a co-host who stays carries the space on after the host leaves', async () => {
      const host = await signUp(a, 'host');
      const cohost = await signUp(a, 'cohost');
      const id = await newSpace(host);
      assert.equal((await host.client.post(`/api/v1/spaces/${id}/users/${cohost.id}/cohost`)).status, 204);
      const cohostSocket = await watch(cohost, id);
      await b.lifecycle.sweep();
      clock.advance(30 * MIN);
      assert.deepEqual((await b.lifecycle.sweep()).ended, []);
      assert.equal(await state(id), 'live');

      await unwatch(cohostSocket, cohost.id);
      await b.lifecycle.sweep();
      clock.advance(5 * MIN);
      assert.deepEqual((await b.lifecycle.sweep()).ended, [id]);
    });

    test('a speaker with no WHIP peer for a minute leaves the stage; one with a peer stays', async () => {
      const host = await signUp(a, 'host');
      const ghost = await signUp(a, 'ghost');
      const talker = await signUp(a, 'talker');
      const id = await newSpace(host);
      for (const u of [ghost, talker]) {
        assert.equal((await host.client.post(`/api/v1/spaces/${id}/users/${u.id}/invite`)).status, 204);
        assert.equal((await u.client.post(`/api/v1/spaces/${id}/invitation`, { accept: true })).status, 204);
      }
      const hostSocket = await watch(host, id);
      // The talker's peer, as the node holding it writes it (the WHIP source is media.stage.speakers()).
      await bus.presence.touch(StagePresence.room(id), `w:${talker.id}`, 10 * MIN, true);

      await b.lifecycle.sweep();
      clock.advance(59_000);
      assert.deepEqual((await b.lifecycle.sweep()).dropped, []);
      clock.advance(1000);
      assert.deepEqual((await b.lifecycle.sweep()).dropped, [{ spaceId: id, userId: ghost.id }]);
      const changed = await hostSocket.next(
        'stage.changed',
        (e) => e.spaceId === id && e.cause === 'disconnected',
      );
      assert.equal(changed.userId, ghost.id);
      assert.deepEqual(changed.stage.map((m) => m.id).sort(), [host.id, talker.id].sort());
      assert.equal(await state(id), 'live');
      await hostSocket.close();
    });
  });
