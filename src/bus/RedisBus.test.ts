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

runBusSuite('Redis', () => RedisBus.open({ url, prefix }));

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
      assert.equal(await raw.zcard(`${prefix}open-presence:{r}`), 1);
      await raw.quit();
    } finally {
      await bus.close();
    }
  });
});
