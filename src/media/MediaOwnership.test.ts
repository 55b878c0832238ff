/** MediaOwnership on the in-memory leases, and on leases that stop answering (Redis gone). */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryBus } from '../bus/MemoryBus.js';
import type { Leases } from '../bus/Bus.js';
import { MediaOwnership } from './MediaOwnership.js';
import { until } from '../testing/until.js';

test('one owner: the second node sees the first as owner, and takes over after a release', async () => {
  const bus = new MemoryBus();
  const lost: string[] = [];
  let renewals = 0;
  const counted: Leases = {
    acquire: (k, h, t) => bus.leases.acquire(k, h, t),
    renew: (k, h, t) => {
      renewals++;
      return bus.leases.renew(k, h, t);
    },
    release: (k, h) => bus.leases.release(k, h),
    holder: (k) => bus.leases.holder(k),
  };
  const a = new MediaOwnership({
    leases: counted,
    leaseMs: 2000,
    internalUrl: 'http://a:1/',
    onLost: (s) => lost.push(s),
  });
  const b = new MediaOwnership({
    leases: bus.leases,
    leaseMs: 2000,
    internalUrl: 'http://b:1',
    onLost: (s) => lost.push(s),
  });
  try {
    assert.equal(await a.acquire('s1'), true);
    assert.equal(await b.acquire('s1'), false);
    assert.deepEqual(await b.owner('s1'), { nodeId: a.nodeId, url: 'http://a:1', self: false });
    assert.equal((await a.owner('s1'))?.self, true);
    assert.equal(a.owns('s1'), true);
    assert.equal(b.owns('s1'), false);
    // Renewals keep it past several lease lengths: wait for the renewals themselves (one every quarter lease),
    // then check that the lease still names a.
    await until(() => renewals >= 10, 60_000);
    assert.equal(a.owns('s1'), true);
    assert.deepEqual(await b.owner('s1'), { nodeId: a.nodeId, url: 'http://a:1', self: false });
    await a.release('s1');
    b.forget('s1');
    assert.equal(await b.owner('s1'), null);
    assert.equal(await b.acquire('s1'), true);
    assert.deepEqual(lost, []);
  } finally {
    await a.close();
    await b.close();
    await bus.close();
  }
});

test('a node whose renewals fail gives the space up before its lease can run out', async () => {
  const bus = new MemoryBus();
  let down = false;
  const flaky: Leases = {
    acquire: (k, h, t) => bus.leases.acquire(k, h, t),
    renew: (k, h, t) => (down ? new Promise(() => undefined) : bus.leases.renew(k, h, t)), // hangs, as a cut link
    release: (k, h) => bus.leases.release(k, h),
    holder: (k) => bus.leases.holder(k),
  };
  const lost: { id: string; at: number }[] = [];
  const a = new MediaOwnership({
    leases: flaky,
    leaseMs: 500,
    internalUrl: 'http://a:1',
    onLost: (id) => lost.push({ id, at: Date.now() }),
  });
  try {
    assert.equal(await a.acquire('s2'), true);
    const cutAt = Date.now();
    down = true;
    await until(() => lost.length === 1);
    assert.equal(lost[0]?.id, 's2');
    assert.equal(a.owns('s2'), false);
    assert.ok((lost[0]?.at ?? 0) >= cutAt);
  } finally {
    await a.close();
    await bus.close();
  }
});
