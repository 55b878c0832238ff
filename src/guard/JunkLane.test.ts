/**
 * The junk lane on a real node:http server and real keep-alive connections: what it holds is not read
 * (the server never sees the request) until the lane lets it go, oldest first, at its rate.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { MemoryBus, MemoryHub } from '../bus/MemoryBus.js';
import { loadConfig } from '../config/Config.js';
import { RawHttpConnection } from '../testing/RawHttpConnection.js';
import { Guard } from './Guard.js';
import { JunkLane, LANE_AFTER } from './JunkLane.js';

let clock = 0;
const lane = new JunkLane(10, () => clock);
let server: Server;
/** Requests the server has read, by the client's port. */
const seen = new Map<number, number>();
/** The server's side of each connection, by the client's port. */
const serverSide = new Map<number, Socket>();

let port = 0;
const conns: RawHttpConnection[] = [];
const open = async () => {
  const c = await RawHttpConnection.open(port);
  conns.push(c);
  return c;
};

/**
 * A full round trip on a fresh connection. A held connection's request was written before it, and on
 * loopback the bytes are in the server's socket when the write returns: had the server read it, it would
 * have seen it by the time it answers this one.
 */
async function roundTrip(): Promise<void> {
  const c = await open();
  assert.equal(await c.send('/good'), 200);
}

before(async () => {
  server = createServer((req, res) => {
    const from = req.socket.remotePort as number;
    seen.set(from, (seen.get(from) ?? 0) + 1);
    if (req.url === '/junk') {
      res.writeHead(403, { 'content-length': 0 }).end();
      lane.junk(req.socket);
    } else {
      res.writeHead(200, { 'content-length': 0 }).end();
      lane.good(req.socket);
    }
  });
  server.on('connection', (s: Socket) => serverSide.set(s.remotePort as number, s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

after(async () => {
  for (const c of conns) c.socket.destroy();
  lane.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

test(`a connection refused ${LANE_AFTER} times in a row is not read until the lane lets it go`, async () => {
  const a = await open();
  for (let i = 0; i < LANE_AFTER; i++) assert.equal(await a.send('/junk'), 403);
  assert.equal(lane.size, 1);
  const answer = a.send('/good');
  await roundTrip();
  assert.equal(seen.get(a.port), LANE_AFTER, 'the held request was not read');
  lane.pump();
  assert.equal(lane.size, 1, 'no time has passed: nothing earned');
  clock += 100; // one connection's worth at 10 a second
  lane.pump();
  assert.equal(lane.size, 0);
  assert.equal(await answer, 200, 'read and answered once let go');
  assert.equal(seen.get(a.port), LANE_AFTER + 1);
});

test('a good answer in between starts afresh: one refusal is forgiven', async () => {
  const c = await open();
  const holds = lane.holds;
  for (let i = 0; i < 3; i++) {
    assert.equal(await c.send('/junk'), 403);
    assert.equal(await c.send('/good'), 200);
  }
  assert.equal(lane.holds, holds, 'never held');
});

test('held connections go oldest first, at the lane rate', async () => {
  const held: RawHttpConnection[] = [];
  for (let i = 0; i < 3; i++) {
    const c = await open();
    for (let j = 0; j < LANE_AFTER; j++) assert.equal(await c.send('/junk'), 403);
    held.push(c);
  }
  assert.equal(lane.size, 3);
  const answers = held.map((c) => c.send('/good'));
  clock += 100;
  lane.pump();
  assert.equal(lane.size, 2);
  assert.equal(await answers[0], 200, 'the oldest goes first');
  await roundTrip();
  assert.deepEqual(
    held.map((c) => seen.get(c.port)),
    [LANE_AFTER + 1, LANE_AFTER, LANE_AFTER],
    'the others are still not read',
  );
  clock += 1000; // a quiet second earns at most a tenth of a second's worth (1 here), not a burst of 10
  lane.pump();
  assert.equal(lane.size, 1);
  assert.equal(await answers[1], 200);
  clock += 100;
  lane.pump();
  assert.equal(lane.size, 0);
  assert.deepEqual(await Promise.all(answers), [200, 200, 200]);
});

test('a held connection that closes leaves the lane', async () => {
  const c = await open();
  for (let j = 0; j < LANE_AFTER; j++) assert.equal(await c.send('/junk'), 403);
  assert.equal(lane.size, 1);
  const mine = serverSide.get(c.port);
  assert.ok(mine);
  const closed = once(mine, 'close');
  // Not read, so its end is not seen either: the server closes it (as its keep-alive timeout does).
  c.socket.destroy();
  mine.destroy();
  await closed;
  assert.equal(lane.size, 0);
});

test("a proxy's connections are never held: they carry many people's requests", async () => {
  const cfg = (trustedProxies: string[]) =>
    loadConfig([], {}, { dataDir: '', logLevel: 'silent', trustedProxies });
  for (const [trusted, forwarded, held] of [
    [['127.0.0.1'], true, 0], // a trusted proxy
    [[], true, 0], // a proxy nobody declared: it says X-Forwarded-For
    [[], false, 1], // a client of its own
  ] as const) {
    const guard = new Guard({ config: cfg([...trusted]), bus: new MemoryBus({ hub: new MemoryHub() }) });
    const c = await open();
    await c.send('/good');
    const socket = serverSide.get(c.port);
    assert.ok(socket);
    // What Guard.refused reads of a request: its connection and its headers.
    const req = { socket, headers: forwarded ? { 'x-forwarded-for': '10.0.0.1' } : {} };
    for (let j = 0; j < LANE_AFTER; j++) guard.refused('10.0.0.1', req as IncomingMessage, Date.now());
    assert.equal(guard.lane.size, held, `trusted ${String(trusted)}, forwarded ${forwarded}`);
    await guard.close();
  }
});
