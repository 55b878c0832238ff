import assert from 'node:assert/strict';
import { test } from 'node:test';
import { runBusSuite } from './Bus.case.js';
import { MemoryBus, MemoryHub } from './MemoryBus.js';
import { openBus } from './openBus.js';

const hub = new MemoryHub();
runBusSuite('memory', async () => new MemoryBus({ hub }));

test('MemoryBus: close removes only its own subscriptions from a shared hub', async () => {
  const shared = new MemoryHub();
  const [a, b] = [new MemoryBus({ hub: shared }), new MemoryBus({ hub: shared })];
  await a.subscribe('x', () => undefined);
  const unsubscribe = await b.subscribe('y', () => undefined);
  assert.equal(shared.channelCount, 2);
  await a.close();
  assert.equal(shared.channelCount, 1);
  await unsubscribe();
  assert.equal(shared.channelCount, 0);
  await b.close();
});

test('MemoryBus: paging a room of 100 000 listed members reads each once, in arrival order', async () => {
  const bus = new MemoryBus();
  const n = 100_000;
  for (let i = 0; i < n; i++) await bus.presence.touch('big', `m${i}`, 60_000, i % 2 === 0);
  for (let i = 0; i < n; i += 4) await bus.presence.leave('big', `m${i}`); // tombstones in the index
  let cursor: string | undefined;
  let seen = 0;
  let expect = 2;
  for (;;) {
    const p = await bus.presence.list('big', { limit: 500, ...(cursor !== undefined ? { cursor } : {}) });
    for (const m of p.members) {
      assert.equal(m, `m${expect}`);
      expect += 4;
      seen++;
    }
    if (p.nextCursor === null) break;
    cursor = p.nextCursor;
  }
  assert.equal(seen, n / 4);
  assert.equal(await bus.presence.count('big'), (3 * n) / 4);
  await bus.close();
});

test('openBus without a URL gives a MemoryBus; a prefix without Redis is a caller bug', async () => {
  const bus = await openBus({});
  assert.equal(bus.kind, 'memory');
  await bus.close();
  await assert.rejects(openBus({ prefix: 'x:' }), TypeError);
});
