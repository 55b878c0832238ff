/**
 * A small, bounded flood on loopback (the full form is `npm run bench -- flood`). It checks behaviour, not
 * timing: slow, silent and idle sockets are closed by their deadlines, connections are capped per address,
 * a real listener is admitted while another address floods the join path, and a listener already in gets
 * every part (counted) while junk, forged tickets and slow sockets flood the node, with no 5xx. Loopback
 * has all of 127/8, so the attacker and the real listener get addresses (and /24 prefixes) of their own.
 */
import assert from 'node:assert/strict';
import { request, Agent, type IncomingHttpHeaders } from 'node:http';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import { SpeakerBot } from '../../src/bot/index.js';
import type { RostraNode } from '../../src/server/RostraNode.js';
import { RawHttpConnection } from '../../src/testing/RawHttpConnection.js';
import { openTestNode } from '../../src/testing/TestNode.js';
import { until } from '../../src/testing/until.js';
import { account } from './guard.case.js';

let node: RostraNode;
let port: number;

before(async () => {
  node = await openTestNode({
    config: {
      media: { partTargetMs: 200, segmentTargetS: 1 },
      limits: { listenersPerNode: 5 },
      guard: {
        headersTimeoutMs: 500,
        requestTimeoutMs: 1000,
        wsHelloSeconds: 1,
        connectionsPerIp: 30,
        joinsPerIp: 40,
      },
    },
  });
  await node.listen();
  port = node.http.port;
});

after(async () => {
  await node.close();
});

function closed(socket: Socket | WebSocket): Promise<void> {
  return new Promise((resolve) => socket.once('close', () => resolve()));
}

function rawSocket(localAddress: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: '127.0.0.1', port, localAddress }, () => resolve(s));
    s.resume(); // read what the server answers (a 408), so that its close reaches us
    s.once('error', reject);
  });
}

/** A JSON POST over real HTTP from a chosen loopback address. */
function post(path: string, body: unknown, localAddress: string, agent: Agent) {
  return new Promise<{
    status: number;
    headers: IncomingHttpHeaders;
    json: { ticket?: string; error?: { code: string; details?: { limit?: string } } };
  }>((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        localAddress,
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            json: JSON.parse(Buffer.concat(chunks).toString() || '{}'),
          }),
        );
      },
    );
    req.once('error', reject);
    req.end(payload);
  });
}

/** A GET over real HTTP from a chosen loopback address; the status only. */
function get(path: string, localAddress: string, agent: Agent): Promise<number> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, localAddress, agent }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
    })
      .once('error', reject)
      .end();
  });
}

describe('a bounded flood', () => {
  test('slowloris sockets that never finish their headers, and silent ones, are closed by the deadline; others are served', async () => {
    const sockets = await Promise.all(Array.from({ length: 20 }, () => rawSocket('127.0.10.1')));
    // Connected, and not a byte sent: the same deadline applies.
    const silent = await Promise.all(Array.from({ length: 5 }, () => rawSocket('127.0.10.2')));
    const all = Promise.all([...sockets, ...silent].map(closed));
    for (const s of sockets) s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
    // Trickle a header line now and then, as slowloris does: the socket is never idle, the headers never end.
    const trickle = setInterval(() => {
      for (const s of sockets) if (!s.destroyed) s.write(`X-Slow-${Date.now()}: 1\r\n`);
    }, 100);
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      assert.equal(res.status, 200, 'a normal client is served meanwhile');
      await all;
    } finally {
      clearInterval(trickle);
    }
    assert.ok(sockets.every((s) => s.destroyed || s.readableEnded));
  });

  test('a body trickled byte by byte is cut off by the request deadline, before it is complete', async () => {
    const s = await rawSocket('127.0.10.3');
    const gone = closed(s);
    let answer = '';
    s.on('data', (d: Buffer) => (answer += d.toString()));
    const length = 10_000;
    s.write(
      `POST /api/v1/auth/signin HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n{`,
    );
    let sent = 1;
    const trickle = setInterval(() => {
      if (!s.destroyed && sent < length - 1) {
        s.write(' ');
        sent++;
      }
    }, 50);
    try {
      await gone;
    } finally {
      clearInterval(trickle);
    }
    assert.ok(sent < length - 1, 'closed before the body was complete');
    assert.doesNotMatch(answer, /^HTTP\/1\.1 5/, 'no 5xx');
  });

  test('connections are capped per address: the one past the cap is closed at once', async () => {
    const kept = await Promise.all(Array.from({ length: 30 }, () => rawSocket('127.0.11.1')));
    try {
      const extra = await rawSocket('127.0.11.1');
      await closed(extra);
      assert.equal(node.plane.ctx.guard.connections.of('127.0.11.1'), 30);
      const other = await rawSocket('127.0.11.2'); // another address is not held back
      assert.equal(other.destroyed, false);
      other.destroy();
    } finally {
      for (const s of kept) s.destroy();
    }
    await until(async () => (node.plane.ctx.guard.connections.of('127.0.11.1') === 0 ? true : undefined));
  });

  test('idle WebSockets are closed by the hello deadline; a subscribed one stays', async () => {
    const host = await account(node);
    const id = (await host.client.post<{ id: string }>('/api/v1/spaces', { title: 'Flood' })).body.id;
    const url = `ws://127.0.0.1:${port}/api/v1/events`;
    const open = (): Promise<WebSocket> =>
      new Promise((resolve, reject) => {
        const ws = new WebSocket(url, { localAddress: '127.0.12.1' });
        ws.once('open', () => resolve(ws)).once('error', reject);
      });
    const idle = await Promise.all(Array.from({ length: 20 }, open));
    const codes = Promise.all(
      idle.map((ws) => new Promise<number>((r) => ws.once('close', (code) => r(code)))),
    );
    const active = await open();
    active.send(JSON.stringify({ v: 1, type: 'subscribe', spaceId: id }));
    try {
      assert.deepEqual(new Set(await codes), new Set([4408]));
      assert.equal(active.readyState, WebSocket.OPEN, 'a socket that subscribed is kept');
    } finally {
      active.terminate();
    }
  });

  test('a listener already in gets every part while junk, forged tickets and slow sockets flood the node; no 5xx', async () => {
    const host = await account(node);
    const id = (await host.client.post<{ id: string }>('/api/v1/spaces', { title: 'On air' })).body.id;
    const bot = new SpeakerBot({
      connectTimeoutMs: 60_000, // a deadline for a busy machine
      whipUrl: `http://127.0.0.1:${port}/api/v1/spaces/${id}/whip`,
      token: host.token,
      audio: { kind: 'tone', frequencyHz: 440, levelDbfs: -12 },
    });
    await bot.start();
    const base = `http://127.0.0.1:${port}/live/${id}/`;
    const joined = await post(`/api/v1/spaces/${id}/listen`, {}, '127.0.15.1', new Agent());
    const headers = { cookie: `rostra_ticket=${joined.json.ticket ?? ''}` };
    assert.equal((await fetch(`${base}audio.m3u8`, { headers })).status, 200);
    const media = await until('the space has media on this node', () => node.media.get(id));
    const nextPart = () => new Promise<void>((resolve) => media.packager.once('part', () => resolve()));
    // The flood: forged tickets and junk bodies from one address, slowloris from another.
    const junkAgent = new Agent({ keepAlive: true, maxSockets: 8 });
    const statuses = new Map<number, number>();
    let stop = false;
    const junk = Promise.all(
      Array.from({ length: 8 }, async (_, w) => {
        for (let i = 0; !stop; i++) {
          // A connection the server cut (refused before its body was read) counts as 0: not a 5xx.
          const status = await (
            (i + w) % 2 === 0
              ? get(`/live/${id}/audio.m3u8?ticket=forged${i}`, '127.0.16.1', junkAgent)
              : post(`/api/v1/spaces/${id}/listen`, { ticket: 42 }, '127.0.16.1', junkAgent).then(
                  (r) => r.status,
                )
          ).catch(() => 0);
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
        }
      }),
    );
    const slow = await Promise.all(Array.from({ length: 10 }, () => rawSocket('127.0.17.1')));
    for (const s of slow) s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
    const slowGone = Promise.all(slow.map(closed));
    const fetched: string[] = [];
    try {
      // Every part the packager cuts during the flood is listed and served to the listener.
      for (let n = 0; n < 10; n++) {
        await nextPart();
        const playlist = await fetch(`${base}audio.m3u8`, { headers });
        assert.equal(playlist.status, 200);
        const parts = [...(await playlist.text()).matchAll(/#EXT-X-PART:[^\n]*URI="([^"]+)"/g)];
        const last = parts.at(-1)?.[1];
        assert.ok(last !== undefined, 'the playlist lists parts');
        const part = await fetch(new URL(last, base), { headers });
        assert.equal(part.status, 200);
        assert.ok((await part.arrayBuffer()).byteLength > 0);
        fetched.push(last);
      }
      await slowGone; // the slowloris sockets went by their deadline meanwhile
    } finally {
      stop = true;
      await junk;
      junkAgent.destroy();
      for (const s of slow) s.destroy();
      await bot.stop();
      // Out again, so the node's cap of 5 is whole for the next test.
      await post(`/api/v1/spaces/${id}/leave`, { ticket: joined.json.ticket }, '127.0.15.1', new Agent());
    }
    assert.equal(new Set(fetched).size, 10, `a new part each time: ${fetched.join(' ')}`);
    assert.ok((statuses.get(403) ?? 0) > 0, 'forged tickets were refused');
    assert.deepEqual(
      [...statuses.keys()].filter((s) => s >= 500),
      [],
      `no 5xx: ${JSON.stringify([...statuses])}`,
    );
  });

  test('an address the junk meter blocked is refused before any route: a coded 429 with Retry-After; its heartbeats pass', async () => {
    const host = await account(node);
    const id = (await host.client.post<{ id: string }>('/api/v1/spaces', { title: 'Junk' })).body.id;
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    const from = '127.0.18.1';
    const doorCount = async () => {
      const text = (await node.http.app.inject({ method: 'GET', url: '/metrics' })).body;
      const m =
        /^rostra_http_requests_total\{method="POST",route="\(junk door\)",status="429"\} (\d+)$/m.exec(text);
      return Number(m?.[1] ?? 0);
    };
    try {
      const { ticket } = (await post(`/api/v1/spaces/${id}/listen`, {}, from, agent)).json;
      assert.ok(ticket);
      // Junk reactions until the meter blocks the address (by default 300 refusals in its 10 s window).
      const junk = () => post(`/api/v1/spaces/${id}/reactions`, { emoji: 42 }, from, agent);
      let refused = await junk();
      for (let i = 0; i < 1000 && refused.status === 400; i++) refused = await junk();
      assert.equal(refused.json.error?.details?.limit, 'junk');
      const before = await doorCount();
      const door = await post(`/api/v1/spaces/${id}/listen`, {}, from, agent);
      assert.equal(door.status, 429);
      assert.equal(door.json.error?.code, 'rate_limited');
      assert.equal(door.json.error?.details?.limit, 'junk');
      assert.ok(Number(door.headers['retry-after']) >= 1, 'says when to come back');
      assert.equal(door.headers['access-control-allow-origin'], '*', 'readable by a player on another site');
      assert.equal(await doorCount(), before + 1, 'answered by the door in front, not by a route');
      const hb = await post(`/api/v1/spaces/${id}/heartbeat`, { ticket }, from, agent);
      assert.equal(hb.status, 200, 'a listener already in is never refused at the junk door');
      // Leaving passes too, and frees the place (this node's cap is 5, shared by the tests here).
      const left = await post(`/api/v1/spaces/${id}/leave`, { ticket }, from, agent);
      assert.ok(left.status < 300, `leave: ${left.status}`);
      const other = await post(`/api/v1/spaces/${id}/listen`, {}, '127.0.19.1', agent);
      assert.equal(other.status, 200, 'another address is not blocked');
    } finally {
      agent.destroy();
    }
  });

  test('a connection refused twice in a row waits in the junk lane; a listener already in is served meanwhile', async () => {
    // A node of its own with a slow lane (1 a second), so that the hold is there to see.
    const slowLane = await openTestNode({ config: { guard: { junkLanePerSecond: 1 } } });
    try {
      await slowLane.listen();
      const host = await account(slowLane);
      const id = (await host.client.post<{ id: string }>('/api/v1/spaces', { title: 'Lane' })).body.id;
      const p = slowLane.http.port;
      const lane = slowLane.plane.ctx.guard.lane;
      const listener = await RawHttpConnection.open(p, '127.0.22.1');
      const joined = await fetch(`http://127.0.0.1:${p}/api/v1/spaces/${id}/listen`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{}',
      });
      assert.equal(joined.status, 200);
      const ticket = encodeURIComponent(((await joined.json()) as { ticket: string }).ticket);
      // The first playlist starts the space's media on this node.
      assert.equal(await listener.send(`/live/${id}/audio.m3u8?ticket=${ticket}`), 200);
      await until('the space has media on this node', () => slowLane.media.get(id));
      const flood = await RawHttpConnection.open(p, '127.0.23.1');
      const forged = `/live/${id}/audio.m3u8?ticket=forged`;
      assert.equal(await flood.send(forged), 403);
      assert.equal(lane.size, 0, 'one refusal is forgiven');
      assert.equal(await flood.send(forged), 403);
      assert.equal(lane.size, 1, 'held after the second in a row');
      const third = flood.send(forged);
      assert.equal(await listener.send(`/live/${id}/index.m3u8?ticket=${ticket}`), 200, 'served meanwhile');
      const text = (await slowLane.http.app.inject({ method: 'GET', url: '/metrics' })).body;
      assert.match(text, /^rostra_guard_open\{kind="lane"\} 1$/m);
      assert.equal(await third, 403, 'read and answered once the lane lets it go');
      assert.equal(lane.holds, 2, 'and held again: still refused in a row');
      listener.socket.destroy();
      flood.socket.destroy();
    } finally {
      await slowLane.close();
    }
  });

  test('unknown API paths count on the junk meter (the web app catch-all answers them with a coded 404)', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 4 });
    try {
      let status = await get('/api/v1/no-such-route', '127.0.20.1', agent);
      assert.equal(status, 404);
      for (let i = 0; i < 1000 && status === 404; i++)
        status = await get('/api/v1/no-such-route', '127.0.20.1', agent);
      assert.equal(status, 429, 'the address is refused at the door once the meter is full');
    } finally {
      agent.destroy();
    }
  });

  test('a real listener is admitted and counted while another address floods the join path', async () => {
    const host = await account(node);
    const id = (await host.client.post<{ id: string }>('/api/v1/spaces', { title: 'Flooded' })).body.id;
    const attackerAgent = new Agent({ keepAlive: true, maxSockets: 16 });
    const realAgent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      let stop = false;
      const outcomes = new Map<number, number>();
      const flood = (async () => {
        for (let i = 0; i < 400 && !stop; i += 16) {
          const batch = await Promise.all(
            Array.from({ length: 16 }, () =>
              post(`/api/v1/spaces/${id}/listen`, {}, '127.0.13.1', attackerAgent),
            ),
          );
          for (const r of batch) outcomes.set(r.status, (outcomes.get(r.status) ?? 0) + 1);
        }
      })();
      const real: number[] = [];
      for (let i = 0; i < 5; i++) {
        const joined = await post(`/api/v1/spaces/${id}/listen`, {}, '127.0.14.1', realAgent);
        real.push(joined.status);
        if (joined.json.ticket !== undefined) {
          const hb = await post(
            `/api/v1/spaces/${id}/heartbeat`,
            { ticket: joined.json.ticket },
            '127.0.14.1',
            realAgent,
          );
          real.push(hb.status);
        }
      }
      stop = true;
      await flood;
      assert.deepEqual(real, Array(10).fill(200), 'every try of the real listener got in');
      assert.ok((outcomes.get(429) ?? 0) > 0, `the flood was limited: ${JSON.stringify([...outcomes])}`);
      assert.deepEqual(
        [...outcomes.keys()].filter((s) => s !== 200 && s !== 429),
        [],
        'no other answer',
      );
      assert.ok(node.plane.audience.nodeCount() <= 5, 'the flood did not fill the cap of 5');
    } finally {
      attackerAgent.destroy();
      realAgent.destroy();
    }
  });
});
