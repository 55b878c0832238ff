/**
 * The one Bus test suite, run against every implementation. `open` may be called several times: two
 * instances stand for two nodes and must see each other's messages and presence.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import type { Bus, BusMessage } from './Bus.js';

async function until(cond: () => boolean | Promise<boolean>, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function runBusSuite(name: string, open: () => Promise<Bus>, opts: { shared: boolean }): void {
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
    const room = () => `room-${randomBytes(4).toString('hex')}`;

    test('publish reaches every subscriber of the channel, and only them', async () => {
      const b = await bus();
      const got: BusMessage[] = [];
      const other: BusMessage[] = [];
      const u1 = await b.subscribe('ch-a', (m) => got.push(m));
      const u2 = await b.subscribe('ch-a', (m) => got.push(m));
      const u3 = await b.subscribe('ch-b', (m) => other.push(m));
      await b.publish('ch-a', { n: 1, nested: { ok: true } });
      await until(() => got.length === 2);
      assert.deepEqual(got[0], { n: 1, nested: { ok: true } });
      assert.equal(other.length, 0);
      await u1();
      await b.publish('ch-a', { n: 2 });
      await until(() => got.length === 3);
      await u2();
      await u3();
    });

    test('a handler that throws does not stop the others', async () => {
      const b = await bus();
      const got: number[] = [];
      await b.subscribe('ch-throw', () => {
        throw new Error('boom');
      });
      await b.subscribe('ch-throw', (m) => got.push(m.n as number));
      await b.publish('ch-throw', { n: 7 });
      await b.publish('ch-throw', { n: 8 });
      await until(() => got.length === 2);
      assert.deepEqual(got, [7, 8]);
    });

    if (opts.shared) {
      test('two instances (two nodes) see each other’s messages and presence', async () => {
        const [a, b] = [await bus(), await bus()];
        const got: BusMessage[] = [];
        await b.subscribe('ch-cross', (m) => got.push(m));
        await a.publish('ch-cross', { from: 'a' });
        await until(() => got.length === 1);
        const r = room();
        await a.presence.touch(r, 'x', 5000, true);
        await b.presence.touch(r, 'y', 5000, false);
        assert.equal(await a.presence.count(r), 2);
        assert.equal(await b.presence.count(r), 2);
        assert.equal(await a.counters.hit(`k-${r}`, 5000), 1);
        assert.equal(await b.counters.hit(`k-${r}`, 5000), 2);
      });
    }

    test('presence counts members until their ttl runs out; a touch extends it', async () => {
      const b = await bus();
      const r = room();
      await b.presence.touch(r, 'a', 150, false);
      await b.presence.touch(r, 'b', 150, true);
      assert.equal(await b.presence.count(r), 2);
      await new Promise((res) => setTimeout(res, 80));
      await b.presence.touch(r, 'a', 150, false);
      await until(async () => (await b.presence.count(r)) === 1);
      assert.deepEqual(
        (await b.presence.list(r, { limit: 10 })).members,
        [],
        'the expired listed member is gone from the list',
      );
      await until(async () => (await b.presence.count(r)) === 0);
    });

    test('presence lists listed members only, each exactly once across pages', async () => {
      const b = await bus();
      const r = room();
      const listed = Array.from({ length: 23 }, (_, i) => `u:${String(i).padStart(3, '0')}`);
      for (const m of listed) await b.presence.touch(r, m, 10_000, true);
      for (let i = 0; i < 5; i++) await b.presence.touch(r, `a:${i}`, 10_000, false);
      assert.equal(await b.presence.count(r), 28);
      const seen: string[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 20; page++) {
        const p = await b.presence.list(r, { limit: 5, ...(cursor !== undefined ? { cursor } : {}) });
        seen.push(...p.members);
        if (p.nextCursor === null) break;
        cursor = p.nextCursor;
      }
      assert.deepEqual(seen, listed);
      await b.presence.leave(r, 'u:000');
      await b.presence.leave(r, 'u:000');
      assert.equal(await b.presence.count(r), 27);
      assert.equal((await b.presence.list(r, { limit: 1 })).members[0], 'u:001');
      await b.presence.clear(r);
      assert.equal(await b.presence.count(r), 0);
      assert.deepEqual(await b.presence.list(r, { limit: 5 }), { members: [], nextCursor: null });
    });

    test('counters count hits in a fixed window, then start again', async () => {
      const b = await bus();
      const key = `hit-${randomBytes(4).toString('hex')}`;
      assert.deepEqual(
        [await b.counters.hit(key, 150), await b.counters.hit(key, 150), await b.counters.hit(key, 150)],
        [1, 2, 3],
      );
      await until(async () => (await b.counters.hit(key, 150)) === 1);
    });

    test('close is idempotent and stops delivery', async () => {
      const b = await open();
      const got: BusMessage[] = [];
      await b.subscribe('ch-close', (m) => got.push(m));
      await b.close();
      await b.close();
      assert.equal(got.length, 0);
    });
  });
}
