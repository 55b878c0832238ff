/**
 * The Bus suite on the machine's Redis (TEST_REDIS_URL overrides). Every run uses its own key and channel
 * prefix, and deletes its keys afterwards, so runs can share one Redis.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import type { BusMessage } from './Bus.js';
import { runBusSuite, until } from './Bus.case.js';
import { openBus } from './openBus.js';
import { RedisBus } from './RedisBus.js';

const url = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `rostra-test-${randomBytes(4).toString('hex')}:`;

after(async () => {
  const redis = new Redis(url);
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    if (keys.length > 0) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  await redis.quit();
});

// Presence batches for 5 ms here (100 ms by default): the suite's ttls are a few hundred ms.
runBusSuite('Redis', () => RedisBus.open({ url, prefix, presence: { flushMs: 5 } }));

describe('RedisPresence: batched and sharded', () => {
  test('a crowd of touches from one node becomes a few script calls, spread over the shards', async () => {
    const p = `${prefix}batch-`;
    const [a, b] = [
      await RedisBus.open({ url, prefix: p, presence: { shards: 8, flushMs: 50 } }),
      await RedisBus.open({ url, prefix: p, presence: { shards: 8, flushMs: 50 } }),
    ];
    const raw = new Redis(url);
    try {
      const calls = async () => {
        const info = await raw.info('commandstats');
        return (
          Number(/cmdstat_evalsha:calls=(\d+)/.exec(info)?.[1] ?? 0) +
          Number(/cmdstat_eval:calls=(\d+)/.exec(info)?.[1] ?? 0)
        );
      };
      const before = await calls();
      const n = 2000;
      await Promise.all(
        Array.from({ length: n }, (_, i) => a.presence.touch('crowd', `m${i}`, 60_000, i < 10)),
      );
      const used = (await calls()) - before;
      // Other test files may use this Redis at the same time: the bound is loose, the drop is not.
      assert.ok(used < n / 20, `${used} script calls for ${n} touches`);
      assert.equal(await b.presence.count('crowd'), n);
      const sizes = await Promise.all(a.presence.shardKeys('crowd').map((k) => raw.zcard(k)));
      assert.ok(
        sizes.every((s) => s > n / 8 / 2),
        `an even spread: ${sizes.join(', ')}`,
      );
      assert.equal((await b.presence.list('crowd', { limit: 100 })).members.length, 10);
      await b.presence.leave('crowd', 'm0');
      assert.equal(await a.presence.count('crowd'), n - 1);
    } finally {
      await raw.quit();
      await a.close();
      await b.close();
    }
  });
});

describe('RedisBus: connections', () => {
  /** Kills this run's connections whose name ends with `role`, as a failover or a network cut would. */
  async function kill(role: 'commands' | 'subscriptions', p: string): Promise<number> {
    const admin = new Redis(url);
    const list = await admin.client('LIST');
    const ids = String(list)
      .split('\n')
      .filter((line) => line.includes(` name=${p}${role} `))
      .map((line) => /id=(\d+)/.exec(line)?.[1])
      .filter((id): id is string => id !== undefined);
    for (const id of ids) await admin.client('KILL', 'ID', id);
    await admin.quit();
    return ids.length;
  }

  test('a node keeps working after its connections are cut: it reconnects and re-subscribes', async () => {
    const p = `${prefix}cut-`;
    const [a, b] = [await RedisBus.open({ url, prefix: p }), await RedisBus.open({ url, prefix: p })];
    try {
      const got: BusMessage[] = [];
      await b.subscribe('ch', (m) => got.push(m));
      assert.equal(await kill('subscriptions', p), 1);
      assert.equal(await kill('commands', p), 2);
      // Messages sent while b is away are lost (pub/sub is at-most-once); later ones arrive again.
      await until(async () => {
        await a.publish('ch', { n: 1 });
        return got.length > 0;
      }, 5000);
      await b.presence.touch('room', 'm', 5000, true);
      assert.equal(await a.presence.count('room'), 1);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('open rejects when Redis cannot be reached, and leaves nothing running', async () => {
    await assert.rejects(RedisBus.open({ url: 'redis://127.0.0.1:1' }));
  });

  test('openBus with a URL gives a RedisBus using the prefix', async () => {
    const bus = await openBus({ redisUrl: url, prefix: `${prefix}open-` });
    try {
      assert.equal(bus.kind, 'redis');
      await bus.presence.touch('r', 'm', 5000, false);
      const raw = new Redis(url);
      const shards = (bus as RedisBus).presence.shardKeys('r');
      assert.ok(shards.every((k) => k.startsWith(`${prefix}open-presence:{r#`)));
      const cards = await Promise.all(shards.map((k) => raw.zcard(k)));
      assert.equal(
        cards.reduce((x, y) => x + y, 0),
        1,
      );
      await raw.quit();
    } finally {
      await bus.close();
    }
  });
});
