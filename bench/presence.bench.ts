/**
 * Presence heartbeats per second (Bus `presence.touch`) for MemoryBus and RedisBus, each next to a raw
 * reference measured in the same run: a plain Map delete+set loop for memory, and raw ioredis ZADDs (one
 * at a time, and pipelined in batches) for Redis. "In flight" is how many touches are issued at once:
 * 1 = one round trip each; 1000 = ioredis writes them back to back and Redis answers them as a pipeline.
 *
 * Then Redis operations per listener-second: LISTENERS listeners heartbeating every 15 s into one room,
 * at their real rate for a few seconds, counted with Redis INFO commandstats (every command, those run
 * inside scripts included), for RedisBus (batched and sharded) and, as the reference, one script call per
 * heartbeat (ZADD + PEXPIRE, what presence did before batching).
 *
 * Run: npm run bench -- presence      (ROUNDS, MEMBERS, LISTENERS, REDIS_URL to change the defaults)
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { MemoryBus } from '../src/bus/MemoryBus.js';
import { RedisBus } from '../src/bus/RedisBus.js';
import type { Bus } from '../src/bus/Bus.js';
import { fmt, median, printTable } from './lib.js';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const MEMBERS = Number(process.env.MEMBERS ?? 100_000);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const TTL = 30_000;
const LISTENERS = Number(process.env.LISTENERS ?? 100_000);
const HEARTBEAT_S = 15;
const prefix = `rostra-bench-${randomBytes(4).toString('hex')}:`;

/** Runs `ops` operations, `inFlight` at a time, and returns operations per second. */
async function rate(ops: number, inFlight: number, op: (i: number) => Promise<unknown>): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < ops; i += inFlight) {
    if (inFlight === 1) await op(i);
    else await Promise.all(Array.from({ length: Math.min(inFlight, ops - i) }, (_, j) => op(i + j)));
  }
  return ops / ((performance.now() - start) / 1000);
}

function mapReference(ops: number): number {
  const m = new Map<string, number>();
  const start = performance.now();
  for (let i = 0; i < ops; i++) {
    const member = `m${i % MEMBERS}`;
    m.delete(member);
    m.set(member, Date.now() + TTL);
  }
  return ops / ((performance.now() - start) / 1000);
}

const touch = (bus: Bus, room: string) => (i: number) =>
  bus.presence.touch(room, `m${i % MEMBERS}`, TTL, i % 2 === 0);

async function main(): Promise<void> {
  const memory = new MemoryBus();
  const redisBus = await RedisBus.open({ url: REDIS_URL, prefix });
  const raw = new Redis(REDIS_URL);
  const rows: Record<string, number[]> = {};
  const add = (name: string, v: number) => (rows[name] ??= []).push(v);
  try {
    for (let round = 0; round < ROUNDS; round++) {
      const room = `bench-${round}`;
      add('memory  reference: Map delete+set', mapReference(1_000_000));
      add('memory  MemoryBus.touch, 1 in flight', await rate(500_000, 1, touch(memory, room)));
      add('memory  MemoryBus.touch, 1000 in flight', await rate(500_000, 1000, touch(memory, room)));
      const key = `${prefix}raw:${round}`;
      add(
        'redis   reference: ZADD, 1 in flight',
        await rate(10_000, 1, (i) => raw.zadd(key, Date.now() + TTL, `m${i}`)),
      );
      add(
        'redis   reference: ZADD pipeline of 1000',
        (await rate(200, 1, async () => {
          const p = raw.pipeline();
          for (let j = 0; j < 1000; j++) p.zadd(key, Date.now() + TTL, `m${j}`);
          await p.exec();
        })) * 1000,
      );
      // One at a time, each waits for its batch (100 ms): a latency, not a capacity.
      add('redis   RedisBus.touch, 1 in flight', await rate(20, 1, touch(redisBus, room)));
      add('redis   RedisBus.touch, 10000 in flight', await rate(200_000, 10_000, touch(redisBus, room)));
      add(
        'redis   RedisBus.count (100k members), 1 in flight',
        await rate(2_000, 1, () => redisBus.presence.count(room)),
      );
      add(
        'memory  MemoryBus.count (100k members), 1 in flight',
        await rate(100_000, 1, () => memory.presence.count(room)),
      );
    }
    console.log(`presence touch, ${ROUNDS} rounds, ${fmt(MEMBERS)} members per room, median ops/s`);
    printTable([
      ['measure', 'ops/s (median)', 'min', 'max'],
      ...Object.entries(rows).map(([name, xs]) => [
        name,
        fmt(median(xs)),
        fmt(Math.min(...xs)),
        fmt(Math.max(...xs)),
      ]),
    ]);
    await opsPerListenerSecond(raw, redisBus);
  } finally {
    let cursor = '0';
    do {
      const [next, keys] = await raw.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length > 0) await raw.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    await raw.quit();
    await redisBus.close();
    await memory.close();
  }
}

/** Every command Redis ran so far (INFO commandstats), scripts' inner commands included. */
async function redisOps(raw: Redis): Promise<number> {
  const info = await raw.info('commandstats');
  let total = 0;
  for (const m of info.matchAll(/^cmdstat_[^:]+:calls=(\d+)/gm)) total += Number(m[1]);
  return total;
}

/** LISTENERS heartbeats spread over HEARTBEAT_S, for `seconds`, at their real rate; Redis ops per listener-s. */
async function heartbeatLoad(
  raw: Redis,
  seconds: number,
  touchOne: (member: string) => Promise<unknown>,
): Promise<number> {
  const perTick = Math.ceil(LISTENERS / HEARTBEAT_S / 50); // 20 ms ticks
  const before = await redisOps(raw);
  const start = performance.now();
  let next = 0;
  const inFlight: Promise<unknown>[] = [];
  for (let tick = 0; performance.now() - start < seconds * 1000; tick++) {
    for (let j = 0; j < perTick; j++) inFlight.push(touchOne(`l${next++ % LISTENERS}`));
    const due = start + (tick + 1) * 20;
    await new Promise((r) => setTimeout(r, Math.max(0, due - performance.now())));
  }
  await Promise.all(inFlight);
  const ops = (await redisOps(raw)) - before - 2; // the two INFO calls
  const elapsedS = (performance.now() - start) / 1000;
  return ops / (LISTENERS * elapsedS);
}

async function opsPerListenerSecond(raw: Redis, bus: RedisBus): Promise<void> {
  const SECONDS = 3;
  const room = `ops-${randomBytes(3).toString('hex')}`;
  const ref = `${prefix}ref:{${room}}`;
  const script = `redis.call('ZADD', KEYS[1], ARGV[1], ARGV[2]) redis.call('PEXPIRE', KEYS[1], ARGV[3]) return 1`;
  const perHeartbeat = await heartbeatLoad(raw, SECONDS, (m) =>
    raw.eval(script, 1, ref, Date.now() + TTL, m, TTL * 2),
  );
  const batched = await heartbeatLoad(raw, SECONDS, (m) => bus.presence.touch(room, m, TTL, false));
  const touched = Math.min(LISTENERS, Math.ceil(LISTENERS / HEARTBEAT_S / 50) * 50 * SECONDS);
  const counted = await bus.presence.count(room);
  console.log(
    `\nRedis operations per listener-second, ${fmt(LISTENERS)} listeners, a heartbeat each every ${HEARTBEAT_S} s (${SECONDS} s at the real rate; INFO commandstats)`,
  );
  printTable([
    ['presence writes', 'Redis ops per listener-second', 'count / truth'],
    ['one script call per heartbeat (before)', perHeartbeat.toFixed(4), ''],
    ['RedisBus: batched per node, 16 shards', batched.toFixed(4), `${fmt(counted)} / ~${fmt(touched)}`],
  ]);
}

await main();
