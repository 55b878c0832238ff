/**
 * The guard's limits through a real node, run against the memory Bus and against Redis (guard.memory.test.ts,
 * guard.redis.test.ts). Each limit trips at its limit with a coded 429 or 503 and Retry-After; each test
 * says how it clears. `openBus` may be called many times: each call is another node of one cluster.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { get } from 'node:http';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import type { Bus } from '../../src/bus/index.js';
import type { ConfigInput } from '../../src/config/Config.js';
import { ManualClock } from '../../src/control/Clock.js';
import { FixedPressureSource } from '../../src/guard/index.js';
import { Revocations } from '../../src/guard/Revocations.js';
import { ASYNC_WORK_CHARGE_MS } from '../../src/guard/NewcomerLine.js';
import type { RostraNode } from '../../src/server/RostraNode.js';
import { openStore, type Store } from '../../src/store/index.js';
import { EventClient } from '../../src/testing/EventClient.js';
import { RawHttpConnection } from '../../src/testing/RawHttpConnection.js';
import { openTestNode, TestClient, type ErrorBody } from '../../src/testing/TestNode.js';
import { until } from '../../src/testing/until.js';

interface Admission {
  ticket: string;
  listenerId: string;
}
type Res<T = unknown> = Awaited<ReturnType<TestClient['request']>> & { body: T };

const PASSWORD = 'correct horse battery';
let seq = 0;

/** Signs up from an address of its own, so tests do not spend each other's sign-up limits. */
export async function account(node: RostraNode, ip = `192.0.2.${(++seq % 250) + 1}`) {
  const handle = `g${randomBytes(5).toString('hex')}`;
  const res = await new TestClient(node)
    .from(ip)
    .post<{ user: { id: string }; token: string }>('/api/v1/auth/signup', {
      handle,
      password: PASSWORD,
      displayName: 'Guard test',
    });
  assert.equal(res.status, 201, res.text);
  return {
    id: res.body.user.id,
    handle,
    token: res.body.token,
    client: new TestClient(node, res.body.token, ip),
  };
}

/** A GET on a connection of its own (no pool): a newcomer to the node. */
function freshGet(port: number, path: string) {
  return new Promise<{
    status: number;
    headers: Record<string, string | string[] | undefined>;
    body: string;
  }>((resolve, reject) => {
    get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    }).on('error', reject);
  });
}

function assertRefused(res: Res, status: number, code: string): ErrorBody['error'] {
  const body = res.body as ErrorBody;
  assert.equal(res.status, status, res.text);
  assert.equal(body.error.code, code);
  assert.ok(Number(res.headers['retry-after']) >= 1, `Retry-After: ${String(res.headers['retry-after'])}`);
  return body.error;
}

export function runGuardSuite(name: string, openBus: () => Promise<Bus>): void {
  describe(`guard on the ${name} bus`, () => {
    let store: Store;
    const nodes: RostraNode[] = [];
    const buses: Bus[] = [];
    const node = async (config: ConfigInput = {}) => {
      const bus = await openBus();
      buses.push(bus);
      const n = await openTestNode({ store, bus, config });
      nodes.push(n);
      return n;
    };
    const liveSpace = async (n: RostraNode, extra: Record<string, unknown> = {}) => {
      const host = await account(n);
      const res = await host.client.post<{ id: string }>('/api/v1/spaces', { title: 'Guarded', ...extra });
      assert.equal(res.status, 201, res.text);
      return { host, id: res.body.id };
    };

    before(async () => {
      store = await openStore({});
    });
    after(async () => {
      for (const n of nodes) await n.close();
      await Promise.all(buses.map((b) => b.close()));
      await store.close();
    });

    test('joins per address trip at the limit with 429 rate_limited; another address still joins', async () => {
      const n = await node({ guard: { joinsPerIp: 5 } });
      const { id } = await liveSpace(n);
      const crowd = new TestClient(n).from('203.0.113.10');
      for (let i = 0; i < 5; i++)
        assert.equal((await crowd.post(`/api/v1/spaces/${id}/listen`, {})).status, 200);
      const err = assertRefused(await crowd.post(`/api/v1/spaces/${id}/listen`, {}), 429, 'rate_limited');
      assert.equal(err.details?.scope, 'address');
      assert.match(err.message, /your network/);
      assert.equal(
        (await new TestClient(n).from('198.51.100.10').post(`/api/v1/spaces/${id}/listen`, {})).status,
        200,
      );
    });

    test('many people behind one address: 300 joins within a second are all admitted on the defaults', async () => {
      const n = await node();
      const { id } = await liveSpace(n);
      const office = new TestClient(n).from('203.0.113.20');
      const answers = await Promise.all(
        Array.from({ length: 300 }, () => office.post(`/api/v1/spaces/${id}/listen`, {})),
      );
      assert.deepEqual(
        answers.filter((a) => a.status !== 200).map((a) => a.text),
        [],
      );
    });

    test('sign-ups per address trip at the limit; password hashing beyond its queue gets 503 server_busy', async () => {
      const n = await node({ guard: { signUpsPerIp: 2, scryptConcurrency: 1, scryptQueue: 0 } });
      const ip = '203.0.113.30';
      await account(n, ip);
      // Hold the only hashing slot, so the next sign-up finds it busy and no queue to wait in.
      let release: () => void = () => undefined;
      const held = n.plane.ctx.guard.scrypt.run(() => new Promise<void>((r) => (release = r)));
      const busy = await new TestClient(n).from('198.51.100.30').post('/api/v1/auth/signup', {
        handle: `b${randomBytes(4).toString('hex')}`,
        password: PASSWORD,
        displayName: 'B',
      });
      const err = assertRefused(busy, 503, 'server_busy');
      assert.equal(err.details?.reason, 'busy');
      release();
      await held;
      await account(n, ip); // the second from this address, once hashing is free
      const over = await new TestClient(n).from(ip).post('/api/v1/auth/signup', {
        handle: `c${randomBytes(4).toString('hex')}`,
        password: PASSWORD,
        displayName: 'C',
      });
      assertRefused(over, 429, 'rate_limited');
    });

    test('a stranger cannot lock a user out; successful sign-ins never count', async () => {
      const n = await node({ guard: { signInFailuresPerClient: 3, signInFailuresPerIp: 50 } });
      const user = await account(n);
      const stranger = new TestClient(n).from('203.0.113.40');
      const owner = new TestClient(n).from('198.51.100.40');
      for (let i = 0; i < 3; i++) {
        const r = await stranger.post('/api/v1/auth/signin', {
          handle: user.handle,
          password: `a wrong guess number ${i}`,
        });
        assert.equal(r.status, 401);
      }
      const locked = await stranger.post('/api/v1/auth/signin', { handle: user.handle, password: PASSWORD });
      assertRefused(locked, 429, 'too_many_attempts');
      for (let i = 0; i < 6; i++) {
        const ok = await owner.post('/api/v1/auth/signin', { handle: user.handle, password: PASSWORD });
        assert.equal(ok.status, 200, `sign-in ${i} of the owner: ${ok.text}`);
      }
      // The owner's own two slips are theirs alone, and a success does not reset or add to them.
      await owner.post('/api/v1/auth/signin', { handle: user.handle, password: 'a slip of the fingers' });
      assert.equal(
        (await owner.post('/api/v1/auth/signin', { handle: user.handle, password: PASSWORD })).status,
        200,
      );
    });

    test('a device that signed in before is not locked out by guesses from its own address', async () => {
      const n = await node({ guard: { signInFailuresPerClient: 3, signInFailuresPerIp: 3 } });
      const user = await account(n);
      const office = new TestClient(n).from('203.0.113.45');
      const first = await office.post('/api/v1/auth/signin', { handle: user.handle, password: PASSWORD });
      assert.equal(first.status, 200, first.text);
      // The hashing queue's wait is told apart from the network.
      assert.match(String(first.headers['server-timing']), /^queue;dur=[\d.]+, hash;dur=[\d.]+$/);
      const cookie = String(first.headers['set-cookie']).split(';')[0] ?? '';
      assert.match(cookie, /^rostra_device=/);
      // Someone else behind the same address guesses at other handles until the address is held back.
      for (let i = 0; i < 3; i++) {
        const r = await office.post('/api/v1/auth/signin', {
          handle: `nobody${i}`,
          password: 'a wrong guess here',
        });
        assert.equal(r.status, 401);
      }
      assertRefused(
        await office.post('/api/v1/auth/signin', { handle: user.handle, password: PASSWORD }),
        429,
        'too_many_attempts',
      );
      const withDevice = (password: string) =>
        office.request('POST', '/api/v1/auth/signin', { handle: user.handle, password }, { cookie });
      assert.equal((await withDevice(PASSWORD)).status, 200, 'the known device still signs in');
      // Its own slips are limited per device; a device cookie for another handle counts for nothing.
      for (let i = 0; i < 3; i++) assert.equal((await withDevice(`a slip of the fingers ${i}`)).status, 401);
      assertRefused(await withDevice(PASSWORD), 429, 'too_many_attempts');
      const other = await account(n);
      const foreign = await office.request(
        'POST',
        '/api/v1/auth/signin',
        { handle: other.handle, password: PASSWORD },
        { cookie },
      );
      assertRefused(foreign, 429, 'too_many_attempts');
    });

    test('WHIP per account and reactions per address trip at their limits', async () => {
      const n = await node({ guard: { whipPerAccount: 2, reactionsPerIp: 3 } });
      const { host, id } = await liveSpace(n);
      for (let i = 0; i < 2; i++) {
        const r = await host.client.request('POST', `/api/v1/spaces/${id}/whip`, 'v=0 not sdp', {
          'content-type': 'application/sdp',
        });
        assert.equal(r.status, 400, r.text);
      }
      const whip = await host.client.request('POST', `/api/v1/spaces/${id}/whip`, 'v=0 not sdp', {
        'content-type': 'application/sdp',
      });
      assert.equal(assertRefused(whip, 429, 'rate_limited').details?.scope, 'account');

      const fan = new TestClient(n).from('203.0.113.50');
      const { ticket } = (await fan.post<Admission>(`/api/v1/spaces/${id}/listen`, {})).body;
      for (let i = 0; i < 3; i++)
        assert.equal((await fan.post(`/api/v1/spaces/${id}/reactions`, { emoji: '👏', ticket })).status, 204);
      const react = await fan.post(`/api/v1/spaces/${id}/reactions`, { emoji: '👏', ticket });
      assert.equal(assertRefused(react, 429, 'rate_limited').details?.limit, 'react-ip');
    });

    test('an address sending junk is refused at the door, but its listeners keep their heartbeats', async () => {
      const n = await node({ guard: { junkPerIp: 5 } });
      const { id } = await liveSpace(n);
      const c = new TestClient(n).from('203.0.113.60');
      const { ticket } = (await c.post<Admission>(`/api/v1/spaces/${id}/listen`, {})).body;
      for (let i = 0; i < 5; i++)
        assert.equal((await c.get(`/live/${id}/index.m3u8?ticket=forged${i}`)).status, 403);
      const door = await c.get(`/api/v1/spaces/${id}`);
      assert.equal(assertRefused(door, 429, 'rate_limited').details?.limit, 'junk');
      assert.equal((await c.post(`/api/v1/spaces/${id}/heartbeat`, { ticket })).status, 200, 'never shed');
      assert.equal((await new TestClient(n).from('198.51.100.60').get(`/api/v1/spaces/${id}`)).status, 200);
    });

    test('tickets nobody uses do not fill the node cap; a heartbeat or a media fetch makes a listener count', async () => {
      const n = await node({ limits: { listenersPerNode: 2 } });
      const { id } = await liveSpace(n);
      const flood = new TestClient(n).from('203.0.113.70');
      const minted: string[] = [];
      for (let i = 0; i < 20; i++) {
        const r = await flood.post<Admission>(`/api/v1/spaces/${id}/listen`, {});
        assert.equal(r.status, 200, `unused ticket ${i} must not count: ${r.text}`);
        minted.push(r.body.ticket);
      }
      assert.equal(n.plane.audience.nodeCount(), 0);
      const real = new TestClient(n).from('198.51.100.70');
      const a = (await real.post<Admission>(`/api/v1/spaces/${id}/listen`, {})).body.ticket;
      assert.equal((await real.post(`/api/v1/spaces/${id}/heartbeat`, { ticket: a })).status, 200);
      const b = (await real.post<Admission>(`/api/v1/spaces/${id}/listen`, {})).body.ticket;
      assert.equal((await real.get(`/live/${id}/index.m3u8?ticket=${encodeURIComponent(b)}`)).status, 200);
      assert.equal(n.plane.audience.nodeCount(), 2);
      const full = assertRefused(
        await real.post(`/api/v1/spaces/${id}/listen`, {}),
        503,
        'space_unavailable',
      );
      assert.equal(full.details?.reason, 'node_at_capacity');
    });

    test('the ladder: under pressure anonymous newcomers get a signed place in line, signed-in ones come in; then they are refused too; listeners already in never', async () => {
      const n = await node({ guard: { queueRatePerSecond: 20 } });
      const { id } = await liveSpace(n);
      const fan = await account(n);
      const inside = new TestClient(n).from('198.51.100.80');
      const { ticket } = (await inside.post<Admission>(`/api/v1/spaces/${id}/listen`, {})).body;
      const pressure = new FixedPressureSource();
      n.plane.ctx.guard.pressure.use(pressure);
      pressure.reading = { eventLoopDelayMs: 10_000, heapFraction: 0, heldRequests: 0 };
      n.plane.ctx.guard.pressure.use(pressure);
      assert.equal(n.plane.ctx.guard.pressure.level, 2);
      assert.equal((await inside.post(`/api/v1/spaces/${id}/heartbeat`, { ticket })).status, 200);
      const refused = assertRefused(
        await fan.client.post(`/api/v1/spaces/${id}/listen`, {}),
        503,
        'space_unavailable',
      );
      assert.equal(refused.details?.reason, 'overloaded');
      // An operator sees the level and who was shed at /metrics.
      const metrics = async () => (await n.http.app.inject({ method: 'GET', url: '/metrics' })).body;
      assert.match(await metrics(), /^rostra_guard_pressure_level 2$/m);
      assert.match(await metrics(), /^rostra_guard_shed\{who="signedIn"\} 1$/m);
      assert.match(await metrics(), /^rostra_guard_open\{kind="held"\} 0$/m);

      pressure.reading = {
        eventLoopDelayMs: n.config.guard.eventLoopDelayMs,
        heapFraction: 0,
        heldRequests: 0,
      };
      assert.equal(n.plane.ctx.guard.pressure.use(pressure), 1);
      assert.equal((await fan.client.post(`/api/v1/spaces/${id}/listen`, {})).status, 200, 'signed-in first');
      const newcomer = new TestClient(n).from('203.0.113.80');
      const wait = await newcomer.post(`/api/v1/spaces/${id}/listen`, {});
      const queued = assertRefused(wait, 503, 'space_unavailable');
      assert.equal(queued.details?.reason, 'queued');
      assert.equal(queued.details?.position, 1);
      assert.match(await metrics(), /^rostra_guard_pressure_level 1$/m);
      assert.match(await metrics(), /^rostra_guard_shed\{who="anonymous"\} 1$/m);
      const cookie = String(wait.headers['set-cookie']).split(';')[0] ?? '';
      assert.match(cookie, /^rostra_queue=/);
      // Coming back with the pass, at its time, lets them in while the pressure lasts; without it, not.
      const admitted = await until(async () => {
        const r = await newcomer.request('POST', `/api/v1/spaces/${id}/listen`, {}, { cookie });
        return r.status === 200 ? r : undefined;
      });
      assert.equal(admitted.status, 200);
      assert.equal(
        (await new TestClient(n).from('203.0.113.81').post(`/api/v1/spaces/${id}/listen`, {})).status,
        503,
      );
      pressure.reading = { eventLoopDelayMs: 0, heapFraction: 0, heldRequests: 0 };
      n.plane.ctx.guard.pressure.use(pressure);
      assert.equal(
        (await new TestClient(n).from('203.0.113.82').post(`/api/v1/spaces/${id}/listen`, {})).status,
        200,
      );
    });

    test('the fair line across nodes: a place in line from node A is honoured by node B at its time; a forged one nowhere', async () => {
      const secret = `cluster-secret-${randomBytes(16).toString('hex')}`;
      const [a, b] = [await node({ secret }), await node({ secret })];
      const stranger = await node({ secret: `another-secret-${randomBytes(16).toString('hex')}` });
      const { id } = await liveSpace(a);
      for (const n of [a, b, stranger]) {
        const pressure = new FixedPressureSource();
        pressure.reading = {
          eventLoopDelayMs: n.config.guard.eventLoopDelayMs,
          heapFraction: 0,
          heldRequests: 0,
        };
        assert.equal(n.plane.ctx.guard.pressure.use(pressure), 1);
      }
      const ip = '203.0.113.85';
      const wait = await new TestClient(a).from(ip).post(`/api/v1/spaces/${id}/listen`, {});
      assert.equal(assertRefused(wait, 503, 'space_unavailable').details?.reason, 'queued');
      const cookie = String(wait.headers['set-cookie']).split(';')[0] ?? '';
      const onB = new TestClient(b).from(ip);
      const admitted = await until('node B honours the pass', async () => {
        const r = await onB.request('POST', `/api/v1/spaces/${id}/listen`, {}, { cookie });
        if (r.status !== 200) assert.equal((r.body as ErrorBody).error.details?.reason, 'queued', r.text);
        return r.status === 200 ? r : undefined;
      });
      assert.equal(admitted.status, 200);
      // The pass is bound to its address, and signed with the cluster's secret.
      const elsewhere = await new TestClient(b)
        .from('203.0.113.86')
        .request('POST', `/api/v1/spaces/${id}/listen`, {}, { cookie });
      assert.equal(assertRefused(elsewhere, 503, 'space_unavailable').details?.reason, 'queued');
      const forged = await new TestClient(stranger)
        .from(ip)
        .request('POST', `/api/v1/spaces/${id}/listen`, {}, { cookie });
      assert.equal(assertRefused(forged, 503, 'space_unavailable').details?.reason, 'queued');
    });

    test('removed means removed, on every node at once: media, heartbeats, reactions and events', async () => {
      const secret = `cluster-secret-${randomBytes(16).toString('hex')}`;
      const [a, b] = [await node({ secret }), await node({ secret })];
      await b.listen();
      const { host, id } = await liveSpace(a);
      const troll = await account(a);
      const { ticket } = (await troll.client.post<Admission>(`/api/v1/spaces/${id}/listen`, {})).body;
      const onB = new TestClient(b).from('198.51.100.90');
      const media = `/live/${id}/index.m3u8?ticket=${encodeURIComponent(ticket)}`;
      assert.equal((await onB.get(media)).status, 200);
      const events = await EventClient.connect(`http://127.0.0.1:${b.http.port}`, troll.token);
      try {
        await events.subscribe(id);
        assert.equal((await host.client.post(`/api/v1/spaces/${id}/users/${troll.id}/remove`)).status, 204);
        // Node B heard of it through the Bus: no wait for the ticket to run out.
        await until(async () => ((await onB.get(media)).status === 403 ? true : undefined));
        const hb = await onB.post<ErrorBody>(`/api/v1/spaces/${id}/heartbeat`, { ticket });
        assert.equal(hb.body.error.code, 'removed_from_space');
        const react = await onB.post<ErrorBody>(`/api/v1/spaces/${id}/reactions`, { emoji: '👏', ticket });
        assert.equal(react.body.error.code, 'invalid_ticket');
        await events.next('removed', (e) => e.spaceId === id);
        events.send({ v: 1, type: 'subscribe', spaceId: id });
        const err = await events.next('error', (e) => e.code === 'removed_from_space');
        assert.equal(err.code, 'removed_from_space');
        // A reaction in the space reaches the host's socket, and not the removed user's.
        const watcher = await EventClient.connect(`http://127.0.0.1:${b.http.port}`, host.token);
        try {
          await watcher.subscribe(id);
          const fan = new TestClient(b).from('198.51.100.91');
          const fanTicket = (await fan.post<Admission>(`/api/v1/spaces/${id}/listen`, {})).body.ticket;
          assert.equal(
            (await fan.post(`/api/v1/spaces/${id}/reactions`, { emoji: '👏', ticket: fanTicket })).status,
            204,
          );
          await watcher.next('reactions', (e) => e.spaceId === id);
          assert.equal(
            events.events.filter((e) => e.type === 'reactions').length,
            0,
            'no more of the space’s events',
          );
        } finally {
          await watcher.close();
        }
      } finally {
        await events.close();
      }
    });

    test('revocations run out after ticket TTL + 1 min, in each node and in the Bus (a moved clock)', async () => {
      const n = await node();
      const ttlMs = n.config.timing.ticketTtlSeconds * 1000 + 60_000;
      assert.equal(n.plane.ctx.guard.revocations.ttlMs, ttlMs);
      const clock = new ManualClock(Date.now());
      const open = async () => {
        const bus = await openBus();
        buses.push(bus);
        const r = new Revocations(bus, ttlMs, clock);
        await r.start();
        return r;
      };
      const a = await open();
      const spaceId = `space-${randomBytes(4).toString('hex')}`;
      await a.revoke(spaceId, 'troll');
      clock.advance(ttlMs - 1);
      // A node that starts late in the revocation's life loads it from the Bus, with its end.
      const b = await open();
      try {
        assert.ok(b.has(spaceId, 'troll'));
        await a.sweep();
        assert.ok(a.has(spaceId, 'troll'), 'kept while a ticket from before the removal may live');
        clock.advance(1);
        await Promise.all([a.sweep(), b.sweep()]);
        // Swept without anyone asking for the pair (a lookup would also drop it).
        assert.equal(a.size, 0);
        assert.equal(b.size, 0);
        assert.equal(a.has(spaceId, 'troll'), false);
        // A node that starts after the end does not take it from the Bus.
        const c = await open();
        assert.equal(c.size, 0);
        await c.close();
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });

    test('WebSocket connects per address trip with a 429 on the upgrade, with Retry-After', async () => {
      const n = await node({ guard: { wsConnectsPerIp: 2 } });
      await n.listen();
      const url = `ws://127.0.0.1:${n.http.port}/api/v1/events`;
      // An address of this test's own on loopback (127/8), so other tests' sockets do not count here.
      const localAddress = `127.${1 + ((randomBytes(1)[0] ?? 0) % 200)}.${randomBytes(1)[0] ?? 0}.9`;
      const opened: WebSocket[] = [];
      try {
        for (let i = 0; i < 2; i++) {
          const ws = new WebSocket(url, { localAddress });
          opened.push(ws);
          await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
        }
        const refused = await new Promise<{ status: number; retryAfter: string | undefined }>(
          (resolve, reject) => {
            const ws = new WebSocket(url, { localAddress });
            ws.once('unexpected-response', (_req, res) => {
              resolve({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] });
              res.resume(); // with an 'unexpected-response' listener, ws leaves the answer to us
            });
            ws.once('open', () => reject(new Error('the third socket was accepted')));
          },
        );
        assert.equal(refused.status, 429);
        assert.ok(Number(refused.retryAfter) >= 1);
      } finally {
        for (const ws of opened) ws.terminate();
      }
    });

    test('newcomers wait in line: past its cap a new connection is refused 503 with Retry-After (requests and upgrades), a known one is served, and it clears', async () => {
      const n = await node({ guard: { newcomersWaiting: 1 } });
      await n.listen();
      const port = n.http.port;
      const line = n.plane.ctx.guard.newcomers;
      const known = await RawHttpConnection.open(port);
      assert.equal(await known.send('/healthz'), 200); // a first request waits its turn, then is served
      // The line kept full: a job that puts itself back in line every turn.
      let holding = true;
      const hold = (): void => void (holding && line.enter(hold));
      line.enter(hold);
      try {
        const refused = await freshGet(port, '/api/v1/spaces');
        assert.equal(refused.status, 503, refused.body);
        assert.equal((JSON.parse(refused.body) as ErrorBody).error.code, 'server_busy');
        assert.ok(Number(refused.headers['retry-after']) >= 1);
        assert.equal(await known.send('/healthz'), 200, 'a connection answered well before is not held');
        const upgrade = await new Promise<number>((resolve, reject) => {
          const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v1/events`);
          ws.once('unexpected-response', (_req, res) => {
            resolve(res.statusCode ?? 0);
            res.resume();
          });
          ws.once('open', () => reject(new Error('the upgrade was accepted past the line’s cap')));
        });
        assert.equal(upgrade, 503);
      } finally {
        holding = false;
        known.socket.destroy();
      }
      await until('the line emptied', () => line.size === 0);
      assert.equal((await freshGet(port, '/api/v1/spaces')).status, 200);
    });

    test('a new connection is read in its turn: its bytes wait unread while the line has not reached it', async () => {
      const n = await node();
      await n.listen();
      const port = n.http.port;
      const line = n.plane.ctx.guard.newcomers;
      const known = await RawHttpConnection.open(port);
      assert.equal(await known.send('/healthz'), 200);
      // The line keeps the next entry instead of running it: the new connection's turn never comes.
      const enter = line.enter.bind(line);
      const kept: (() => void)[] = [];
      line.enter = (job) => (kept.push(job), true);
      const accepted = new Promise<Socket>((resolve) => n.http.app.server.once('connection', resolve));
      try {
        const fresh = await RawHttpConnection.open(port);
        const serverSide = await accepted;
        await until('the connection waits in line', () => kept.length === 1);
        const answer = fresh.send('/healthz');
        // A round trip on a connection already in: the node has had its turns to read what was sent.
        assert.equal(await known.send('/healthz'), 200);
        assert.equal(serverSide.bytesRead, 0, 'the new connection was read before its turn');
        line.enter = enter;
        kept.shift()?.();
        assert.equal(await answer, 200, 'read and answered in its turn');
        fresh.socket.destroy();
      } finally {
        line.enter = enter;
        known.socket.destroy();
      }
    });

    test('a newcomer is charged in the line for what its turn starts: the read, then the work past the doors', async () => {
      const n = await node();
      await n.listen();
      const line = n.plane.ctx.guard.newcomers;
      const enter = line.enter.bind(line);
      const charges: number[] = [];
      line.enter = (job, chargeMs = 0) => (charges.push(chargeMs), enter(job, chargeMs));
      try {
        const fresh = await RawHttpConnection.open(n.http.port);
        assert.equal(await fresh.send('/api/v1/spaces'), 200);
        // Its first read (GuardHttp's readInTurn), then its request through fastify, whose hooks and
        // answer run as microtasks after the turn: both count against the turn's budget.
        assert.deepEqual(charges, [0.1, ASYNC_WORK_CHARGE_MS]);
        fresh.socket.destroy();
      } finally {
        line.enter = enter;
      }
    });

    test('a client that resets its connection while its upgrade is being admitted does not crash the node', async () => {
      const n = await node();
      await n.listen();
      // The admission's connect count waits at a gate (with Redis it is a round trip; here it is held).
      const counters = n.plane.ctx.bus.counters;
      const take = counters.take.bind(counters);
      let open: () => void = () => undefined;
      const gate = new Promise<void>((r) => (open = r));
      let waiting: () => void = () => undefined;
      const admitting = new Promise<void>((r) => (waiting = r));
      counters.take = async (key, windowMs) => {
        if (key.startsWith('g:ws-ip:')) {
          waiting();
          await gate;
        }
        return take(key, windowMs);
      };
      const localAddress = `127.${1 + ((randomBytes(1)[0] ?? 0) % 200)}.${randomBytes(1)[0] ?? 0}.11`;
      const tcp = connect({ host: '127.0.0.1', port: n.http.port, localAddress });
      tcp.on('error', () => undefined); // the reset is ours
      await new Promise((resolve) => tcp.once('connect', resolve));
      tcp.write(
        'GET /api/v1/events HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
      );
      await admitting;
      const connections = n.plane.ctx.guard.connections;
      tcp.resetAndDestroy(); // an RST: the node's socket errors while nobody but the guard holds it
      await until('the node closed its side of the reset socket', () => connections.of(localAddress) === 0);
      open();
      // Still serving, and the admitted-then-gone socket left no WebSocket place behind.
      assert.equal((await new TestClient(n).get('/healthz')).status, 200);
      await until('no WebSocket place left', () => n.plane.ctx.guard.websockets.of(localAddress) === 0);
      counters.take = take;
    });
  });
}
