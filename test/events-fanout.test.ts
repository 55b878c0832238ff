/** The event stream's fan-out: one event is serialised once, and every subscriber gets the same bytes. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { WebSocket } from 'ws';
import type { RostraNode } from '../src/server/RostraNode.js';
import { openTestNode, signUp, type TestUser } from '../src/testing/TestNode.js';

let node: RostraNode;
let host: TestUser;
const sockets: WebSocket[] = [];

before(async () => {
  node = await openTestNode();
  await node.listen();
  host = await signUp(node, 'host');
});

after(async () => {
  for (const ws of sockets) ws.close();
  await node.close();
});

interface Frame {
  data: Buffer;
  isBinary: boolean;
  type: string;
}

/** A raw socket that keeps every frame as it came, and resolves `until` once a frame of a type arrives. */
async function rawSubscriber(spaceId: string) {
  const ws = new WebSocket(`ws://127.0.0.1:${node.http.port}/api/v1/events?token=${host.token}`);
  sockets.push(ws);
  const frames: Frame[] = [];
  const waiters: (() => void)[] = [];
  ws.on('message', (data: Buffer, isBinary: boolean) => {
    frames.push({ data, isBinary, type: (JSON.parse(data.toString()) as { type: string }).type });
    for (const w of waiters.splice(0)) w();
  });
  const until = async (type: string): Promise<Frame> => {
    for (;;) {
      const found = frames.find((f) => f.type === type);
      if (found) return found;
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  await new Promise((r, j) => ws.once('open', r).once('error', j));
  await until('hello');
  ws.send(JSON.stringify({ v: 1, type: 'subscribe', spaceId }));
  await until('subscribed');
  return { until };
}

test('fan-out: one reactions event is serialised once and reaches 3 subscribers as the same text bytes', async (t) => {
  const id = (await host.client.post<{ id: string }>('/api/v1/spaces', { title: 'Fan-out' })).body.id;
  const subscribers = [await rawSubscriber(id), await rawSubscriber(id), await rawSubscriber(id)];
  const stringify = t.mock.method(JSON, 'stringify');
  const reactionsSerialised = () =>
    stringify.mock.calls.filter((c) => (c.arguments[0] as { type?: unknown } | null)?.type === 'reactions')
      .length;

  assert.equal((await host.client.post(`/api/v1/spaces/${id}/reactions`, { emoji: '🔥' })).status, 204);
  const frames = await Promise.all(subscribers.map((s) => s.until('reactions')));

  const first = frames[0] as Frame;
  for (const f of frames) {
    assert.equal(f.isBinary, false, 'a text frame');
    assert.deepEqual(f.data, first.data);
  }
  assert.deepEqual((JSON.parse(first.data.toString()) as { counts: unknown }).counts, { '🔥': 1 });
  assert.equal(reactionsSerialised(), 1, 'serialised once for 3 recipients');
});
