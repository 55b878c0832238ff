/**
 * A small, bounded flood on loopback (the full form is `npm run bench -- flood`). It checks behaviour, not
 * timing: slow and idle sockets are closed by their deadlines, connections are capped per address, and a
 * real listener is admitted while another address floods the join path. Loopback has all of 127/8, so
 * the attacker and the real listener get addresses (and /24 prefixes) of their own.
 */
import assert from 'node:assert/strict';
import { request, Agent } from 'node:http';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { WebSocket } from 'ws';
import type { RostraNode } from '../../src/server/RostraNode.js';
import { openTestNode } from '../../src/testing/TestNode.js';
import { account, until } from './guard.case.js';

let node: RostraNode;
let port: number;

before(async () => {
  node = await openTestNode({
    config: {
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
    s.once('error', reject);
  });
}

/** A JSON POST over real HTTP from a chosen loopback address. */
function post(path: string, body: unknown, localAddress: string, agent: Agent) {
  return new Promise<{ status: number; json: { ticket?: string; error?: { code: string } } }>(
    (resolve, reject) => {
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
              json: JSON.parse(Buffer.concat(chunks).toString() || '{}'),
            }),
          );
        },
      );
      req.once('error', reject);
      req.end(payload);
    },
  );
}

describe('a bounded flood', () => {
  test('slowloris sockets that never finish their headers are closed by the deadline; others are served', async () => {
    const sockets = await Promise.all(Array.from({ length: 20 }, () => rawSocket('127.0.10.1')));
    const all = Promise.all(sockets.map(closed));
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
