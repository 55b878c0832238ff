import { randomBytes } from 'node:crypto';
import { after } from 'node:test';
import { Redis } from 'ioredis';
import { runBusSuite } from './Bus.case.js';
import { RedisBus } from './RedisBus.js';

/** The machine's Redis; every run uses its own key prefix and deletes its keys afterwards. */
const url = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const prefix = `rostra-test-${randomBytes(4).toString('hex')}:`;

after(async () => {
  const redis = new Redis(url);
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

runBusSuite('Redis', () => RedisBus.open({ url, prefix }), { shared: true });
