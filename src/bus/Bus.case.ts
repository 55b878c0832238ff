/**
 * The one Bus test suite, run against every implementation. `open` may be called many times: each call is
 * another node of the same cluster (a MemoryBus on a shared hub, or a RedisBus on the same Redis and
 * prefix), so the cross-node properties are tested for both.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { isRostraError } from '../errors/index.js';
import type { Bus, BusMessage } from './Bus.js';

/** Polls until `cond` holds, at most `ms` (no wall-clock assertions: a slow machine only waits longer). */
export async function until(cond: () => boolean | Promise<boolean>, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const unique = (what: string) => `${what}-${randomBytes(4).toString('hex')}`;

async function allPages(bus: Bus, room: string, limit: number, between?: (page: number) => Promise<void>) {
  const seen: string[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < 1000; page++) {
    const p = await bus.presence.list(room, { limit, ...(cursor !== undefined ? { cursor } : {}) });
    assert.ok(p.members.length <= limit);
    seen.push(...p.members);
    if (p.nextCursor === null) return seen;
    cursor = p.nextCursor;
    await between?.(page);
  }
  throw new Error('paging did not end');
}

export function runBusSuite(name: string, open: () => Promise<Bus>): void {
  describe(`Bus: ${name}`, () => {
    const opened: Bus[] = [];
    const bus = async () => {
      const b = await open();
      opened.push(b);
      return b;
    };
    after(async () => {
      await Promise.all(opened.map((b) => b.close()));
    });

    test('publish reaches every subscriber of the channel, and only them', async () => {
      const b = await bus();
      const [ch, other] = [unique('ch'), unique('ch')];
      const got: BusMessage[] = [];
      const elsewhere: BusMessage[] = [];
      const u1 = await b.subscribe(ch, (m) => got.push(m));
      const u2 = await b.subscribe(ch, (m) => got.push(m));
      const u3 = await b.subscribe(other, (m) => elsewhere.push(m));
      await b.publish(ch, { n: 1, nested: { ok: true } });
      await until(() => got.length === 2);
      assert.deepEqual(got[0], { n: 1, nested: { ok: true } });
      assert.notEqual(got[0], got[1], 'each subscriber gets its own copy');
      await u1();
      await u1();
      await b.publish(ch, { n: 2 });
      await until(() => got.length === 3);
      await sleep(30);
      assert.equal(got.length, 3, 'an unsubscribed handler is not called');
      assert.equal(elsewhere.length, 0);
      await u2();
      await u3();
    });

    test('delivery is asynchronous: never inside publish()', async () => {
      const b = await bus();
      const ch = unique('ch');
      let called = false;
      await b.subscribe(ch, () => {
        called = true;
      });
      const sent = b.publish(ch, { x: 1 });
      assert.equal(called, false);
      await sent;
      await until(() => called);
    });

    test('a handler that throws does not stop the others', async () => {
      const b = await bus();
      const ch = unique('ch');
      const got: number[] = [];
      await b.subscribe(ch, () => {
        throw new Error('boom (expected by the test)');
      });
      await b.subscribe(ch, (m) => got.push(m.n as number));
      await b.publish(ch, { n: 7 });
      await b.publish(ch, { n: 8 });
      await until(() => got.length === 2);
      assert.deepEqual(got, [7, 8]);
    });

    test('two nodes see each other’s messages, presence and counters', async () => {
      const [a, b] = [await bus(), await bus()];
      const ch = unique('ch');
      const atA: BusMessage[] = [];
      const atB: BusMessage[] = [];
      await a.subscribe(ch, (m) => atA.push(m));
      await b.subscribe(ch, (m) => atB.push(m));
      await a.publish(ch, { from: 'a' });
      await until(() => atA.length === 1 && atB.length === 1);
      assert.deepEqual(atB, [{ from: 'a' }]);
      const r = unique('room');
      await a.presence.touch(r, 'x', 5000, true);
      await b.presence.touch(r, 'y', 5000, false);
      assert.equal(await a.presence.count(r), 2);
      assert.equal(await b.presence.count(r), 2);
      assert.deepEqual((await b.presence.list(r, { limit: 10 })).members, ['x']);
      await b.presence.leave(r, 'x');
      assert.equal(await a.presence.count(r), 1);
      const key = unique('k');
      assert.equal(await a.counters.hit(key, 5000), 1);
      assert.equal(await b.counters.hit(key, 5000), 2);
    });

    test('presence counts members until their ttl runs out; a touch extends it', async () => {
      const b = await bus();
      const r = unique('room');
      await b.presence.touch(r, 'a', 150, false);
      await b.presence.touch(r, 'b', 150, true);
      assert.equal(await b.presence.count(r), 2);
      await sleep(80);
      await b.presence.touch(r, 'a', 150, false);
      await until(async () => (await b.presence.count(r)) === 1);
      assert.deepEqual(
        (await b.presence.list(r, { limit: 10 })).members,
        [],
        'the expired member left the list',
      );
      await until(async () => (await b.presence.count(r)) === 0);
      assert.equal(await b.presence.count(unique('room')), 0, 'an unknown room is empty');
    });

    test('presence: listed members are listed, unlisted ones only counted; listing is sticky', async () => {
      const b = await bus();
      const r = unique('room');
      await b.presence.touch(r, 'anon', 5000, false);
      await b.presence.touch(r, 'named', 5000, true);
      await b.presence.touch(r, 'named', 5000, false);
      assert.equal(await b.presence.count(r), 2);
      assert.deepEqual(await b.presence.list(r, { limit: 10 }), { members: ['named'], nextCursor: null });
      await b.presence.leave(r, 'named');
      await b.presence.leave(r, 'named');
      await b.presence.leave(unique('room'), 'nobody');
      assert.deepEqual(await b.presence.list(r, { limit: 10 }), { members: [], nextCursor: null });
      assert.equal(await b.presence.count(r), 1);
    });

    test('presence lists listed members only, each exactly once across pages', async () => {
      const b = await bus();
      const r = unique('room');
      const listed = Array.from({ length: 23 }, (_, i) => `u:${String(i).padStart(3, '0')}`);
      for (const m of listed) await b.presence.touch(r, m, 10_000, true);
      for (let i = 0; i < 5; i++) await b.presence.touch(r, `a:${i}`, 10_000, false);
      assert.equal(await b.presence.count(r), 28);
      assert.deepEqual(await allPages(b, r, 5), listed);
      assert.deepEqual(await allPages(b, r, 23), listed, 'an exact last page has no cursor');
      await b.presence.leave(r, 'u:000');
      assert.equal(await b.presence.count(r), 27);
      assert.equal((await b.presence.list(r, { limit: 1 })).members[0], 'u:001');
      await b.presence.clear(r);
      assert.equal(await b.presence.count(r), 0);
      assert.deepEqual(await b.presence.list(r, { limit: 5 }), { members: [], nextCursor: null });
    });

    test('presence paging under churn: who stays is seen once, who leaves is never repeated', async () => {
      const b = await bus();
      const r = unique('room');
      const stay = Array.from({ length: 30 }, (_, i) => `s${String(i).padStart(2, '0')}`);
      const go = Array.from({ length: 10 }, (_, i) => `g${i}`);
      for (const m of [...stay, ...go]) await b.presence.touch(r, m, 10_000, true);
      const seen = await allPages(b, r, 4, async (page) => {
        await b.presence.leave(r, go[page] ?? 'none');
        await b.presence.touch(r, `n${page}`, 10_000, true);
        await b.presence.touch(r, stay[page] ?? 'none', 10_000, true); // a heartbeat must not move anyone
      });
      assert.equal(new Set(seen).size, seen.length, 'no member twice');
      assert.deepEqual(
        seen.filter((m) => m.startsWith('s')),
        stay,
      );
    });

    test('presence refuses a cursor it did not give out', async () => {
      const b = await bus();
      await assert.rejects(
        b.presence.list(unique('room'), { limit: 5, cursor: '%%not a cursor%%' }),
        (err) => isRostraError(err) && err.code === 'validation_failed',
      );
    });

    test('counters count hits in a fixed window per key, then start again', async () => {
      const b = await bus();
      const [key, other] = [unique('hit'), unique('hit')];
      assert.deepEqual(
        [await b.counters.hit(key, 150), await b.counters.hit(key, 150), await b.counters.hit(key, 150)],
        [1, 2, 3],
      );
      assert.equal(await b.counters.hit(other, 150), 1, 'keys are independent');
      await until(async () => (await b.counters.hit(key, 150)) === 1);
    });

    test('uniques: distinct members per key, the same from every node; a key runs out after its ttl', async () => {
      const [a, b] = [await bus(), await bus()];
      const [key, other] = [unique('uniq'), unique('uniq')];
      for (let i = 0; i < 40; i++) await (i % 2 ? a : b).uniques.add(key, `l${i % 25}`, 60_000);
      assert.equal(await a.uniques.count(key), 25);
      assert.equal(await b.uniques.count(key), 25);
      assert.equal(await a.uniques.count(other), 0, 'keys are independent');
      await b.uniques.add(other, 'x', 100);
      assert.equal(await a.uniques.count(other), 1);
      await until(async () => (await a.uniques.count(other)) === 0);
    });

    test('uniques: adds at once from two nodes (gathered into batches) are each counted once', async () => {
      const [a, b] = [await bus(), await bus()];
      const [key, other] = [unique('uniq'), unique('uniq')];
      await Promise.all(
        Array.from({ length: 2500 }, (_, i) =>
          (i % 2 ? a : b).uniques.add(i % 3 ? key : other, `l${i % 1200}`, 60_000),
        ),
      );
      // 800 distinct members in `key`, 400 in `other` (1,200 is a multiple of 3); HyperLogLog counts
      // within ~1 % (Redis' standard error 0.81 %), exactly in memory.
      const [n, m] = [await b.uniques.count(key), await a.uniques.count(other)];
      assert.ok(Math.abs(n - 800) <= 24, `${n} distinct in key`);
      assert.ok(Math.abs(m - 400) <= 12, `${m} distinct in other`);
    });

    test('leases: one holder at a time across nodes; renew and release only by the holder', async () => {
      const [a, b] = [await bus(), await bus()];
      const key = unique('lease');
      assert.equal(await a.leases.holder(key), null);
      assert.equal(await a.leases.acquire(key, 'node-a', 5000), true);
      assert.equal(await b.leases.acquire(key, 'node-b', 5000), false, 'taken by another holder');
      assert.equal(await b.leases.holder(key), 'node-a');
      assert.equal(await a.leases.acquire(key, 'node-a', 5000), true, 'the holder may take it again');
      assert.equal(await b.leases.renew(key, 'node-b', 5000), false, 'only the holder renews');
      assert.equal(await a.leases.renew(key, 'node-a', 5000), true);
      await b.leases.release(key, 'node-b');
      assert.equal(await a.leases.holder(key), 'node-a', 'only the holder releases');
      await a.leases.release(key, 'node-a');
      await a.leases.release(key, 'node-a');
      assert.equal(await b.leases.holder(key), null);
      assert.equal(await b.leases.renew(key, 'node-b', 5000), false, 'a free lease is not renewed');
      assert.equal(await b.leases.acquire(key, 'node-b', 5000), true);
    });

    test('leases: one of many racing nodes wins; an unrenewed lease runs out and another may take it', async () => {
      const nodes = [await bus(), await bus(), await bus()];
      const key = unique('lease');
      const won = await Promise.all(
        nodes.flatMap((n, i) => [0, 1, 2].map((j) => n.leases.acquire(key, `node-${i}-${j}`, 150))),
      );
      assert.equal(won.filter(Boolean).length, 1, 'exactly one winner');
      const winner = await nodes[0]?.leases.holder(key);
      assert.ok(winner);
      await until(async () => (await nodes[1]?.leases.holder(key)) === null);
      assert.equal(await nodes[2]?.leases.renew(key, winner, 150), false, 'a lease that ran out is lost');
      assert.equal(await nodes[2]?.leases.acquire(key, 'late', 5000), true);
    });

    test('counters: take says when the window ends, peek reads without counting, on every node', async () => {
      const [a, b] = [await bus(), await bus()];
      const key = unique('take');
      assert.deepEqual(await a.counters.peek(key), { count: 0, resetInMs: 0 }, 'no window yet');
      const first = await a.counters.take(key, 10_000);
      assert.equal(first.count, 1);
      assert.ok(first.resetInMs > 0 && first.resetInMs <= 10_000, `resetInMs ${first.resetInMs}`);
      const second = await b.counters.take(key, 10_000);
      assert.equal(second.count, 2, 'the other node counts in the same window');
      assert.ok(second.resetInMs <= first.resetInMs, 'a later hit does not extend the window');
      const seen = await b.counters.peek(key);
      assert.equal(seen.count, 2);
      assert.ok(seen.resetInMs > 0 && seen.resetInMs <= 10_000);
      assert.equal((await a.counters.peek(key)).count, 2, 'peeking does not count');
      const short = unique('take');
      await a.counters.take(short, 150);
      await until(async () => (await b.counters.peek(short)).count === 0);
      assert.equal((await b.counters.take(short, 150)).count, 1, 'a new window starts at 1');
    });

    test('close is idempotent, stops delivery, and leaves other nodes working', async () => {
      const [a, b] = [await bus(), await open()];
      const ch = unique('ch');
      const atA: BusMessage[] = [];
      const atB: BusMessage[] = [];
      await a.subscribe(ch, (m) => atA.push(m));
      const unsubscribeB = await b.subscribe(ch, (m) => atB.push(m));
      await b.close();
      await b.close();
      await unsubscribeB();
      await b.publish(ch, { dropped: true });
      await assert.rejects(b.subscribe(ch, () => undefined));
      await a.publish(ch, { n: 1 });
      await until(() => atA.length === 1);
      await sleep(30);
      assert.deepEqual(atA, [{ n: 1 }]);
      assert.deepEqual(atB, []);
    });
  });
}
