/**
 * The listener join path on one core: listener tickets issued per second (POST /listen) and presence
 * heartbeats per second (POST /heartbeat), against a bare node:http server on the same core and a raw
 * HMAC loop, in the same run. The server is pinned to core 0 and the load generator to core 1.
 *
 * Per core is measured, not read off the rate: the server's CPU time (/proc/<pid>/stat) over the
 * requests answered in each round. On the Redis bus a join waits for its node's presence batch, so the
 * rate is bounded by the connections in flight and leaves the core partly idle; its CPU per request
 * says what a busy core would take. Redis' own CPU per request (INFO cpu) is given apart.
 *
 * Run: npm run bench -- joinpath      (ROUNDS, SECONDS, CONCURRENCY to change the defaults)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { Redis } from 'ioredis';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../src/testing/ServeProcess.js';
import { writeSummary } from './summary.js';
import { cpuSeconds, fmt, loadLoop, median, pin, printTable, serveCommand } from './lib.js';
import { wrkPost } from './wrk.js';

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const SECONDS = Number(process.env.SECONDS ?? 3);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 32);
/**
 * With the Redis bus a join or heartbeat resolves once its node's presence batch is written (every
 * ~100 ms, RedisPresence): 32 connections would measure 32 answers per batch window (~300/s), the
 * latency, not what the node can take. Enough connections to fill the window measure the node.
 */
const REDIS_CONCURRENCY = Number(process.env.REDIS_CONCURRENCY ?? 512);
const root = fileURLToPath(new URL('..', import.meta.url));

async function startProcess(
  cmd: string[],
  port: number,
  env: Record<string, string> = {},
): Promise<ChildProcess> {
  const [exe, ...args] = cmd as [string, ...string[]];
  const child = spawn(exe, args, {
    cwd: root,
    env: { ...process.env, ROSTRA_LOG_LEVEL: 'silent', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; i < 300; i++) {
    try {
      await fetch(`http://127.0.0.1:${port}/healthz`);
      return child;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  child.kill('SIGKILL');
  throw new Error(`${cmd.join(' ')} did not start`);
}

async function stop(child: ChildProcess): Promise<void> {
  const done = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await done;
}

/** One route's rounds: answers per second, and CPU µs per answered request (the node's; Redis'). */
interface Rounds {
  perSecond: number[];
  cpuUs: number[];
  redisUs: number[];
}

/** Redis' own CPU time in seconds (INFO cpu: user + system, main thread and the rest). */
async function redisCpuSeconds(redis: Redis | undefined): Promise<number> {
  if (!redis) return 0;
  const info = await redis.info('cpu');
  const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return field('used_cpu_user') + field('used_cpu_sys');
}

async function round(
  pid: number,
  redis: Redis | undefined,
  into: Rounds,
  load: () => ReturnType<typeof wrkPost>,
): Promise<number> {
  const c0 = cpuSeconds(pid);
  const r0 = await redisCpuSeconds(redis);
  const r = load();
  into.perSecond.push(r.perSecond);
  into.cpuUs.push(((cpuSeconds(pid) - c0) / r.requests) * 1e6);
  into.redisUs.push((((await redisCpuSeconds(redis)) - r0) / r.requests) * 1e6);
  return r.non2xx + r.errors;
}

async function rostraFigures(
  busEnv: Record<string, string>,
  connections: number,
): Promise<{ listen: Rounds; heartbeat: Rounds }> {
  const port = await freePort();
  const data = mkdtempSync(join(tmpdir(), 'rostra-bench-'));
  const child = await startProcess(serveCommand(port, data), port, busEnv);
  const redis = busEnv.REDIS_URL ? new Redis(busEnv.REDIS_URL) : undefined;
  try {
    const signup = await fetch(`http://127.0.0.1:${port}/api/v1/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ handle: 'bench_host', password: 'bench password', displayName: 'Bench' }),
    });
    const { token } = (await signup.json()) as { token: string };
    const created = await fetch(`http://127.0.0.1:${port}/api/v1/spaces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ title: 'Bench' }),
    });
    const { id } = (await created.json()) as { id: string };
    const base = `http://127.0.0.1:${port}/api/v1/spaces/${id}`;
    // Tickets for the heartbeat rounds, gathered once (each lives 2 minutes).
    const tickets: string[] = [];
    await loadLoop({
      host: '127.0.0.1',
      port,
      seconds: 1,
      concurrency: 8,
      next: () => ({ method: 'POST', path: `/api/v1/spaces/${id}/listen`, body: '{}' }),
      onBody: (b) => void tickets.push((JSON.parse(b) as { ticket: string }).ticket),
    });
    wrkPost(`${base}/listen`, { seconds: 1, connections, body: '{}' }); // JIT warm-up
    const listen: Rounds = { perSecond: [], cpuUs: [], redisUs: [] };
    const heartbeat: Rounds = { perSecond: [], cpuUs: [], redisUs: [] };
    const pid = child.pid as number;
    for (let r = 0; r < ROUNDS; r++) {
      const bad =
        (await round(pid, redis, listen, () =>
          wrkPost(`${base}/listen`, { seconds: SECONDS, connections, body: '{}' }),
        )) +
        (await round(pid, redis, heartbeat, () =>
          wrkPost(`${base}/heartbeat`, { seconds: SECONDS, connections, tickets }),
        ));
      if (bad > 0) console.log(`  (round ${r}: ${bad} refused or failed requests, not counted)`);
    }
    return { listen, heartbeat };
  } finally {
    redis?.disconnect();
    await stop(child);
    rmSync(data, { recursive: true, force: true });
  }
}

async function bareHttp(): Promise<number[]> {
  const port = await freePort();
  const child = await startProcess(
    pin(0, [process.execPath, '--import', 'tsx', 'bench/reference-http.ts', String(port)]),
    port,
  );
  try {
    const url = `http://127.0.0.1:${port}/x`;
    wrkPost(url, { seconds: 1, connections: CONCURRENCY, body: '{}' }); // warm-up
    const out: number[] = [];
    for (let r = 0; r < ROUNDS; r++)
      out.push(wrkPost(url, { seconds: SECONDS, connections: CONCURRENCY, body: '{}' }).perSecond);
    return out;
  } finally {
    await stop(child);
  }
}

function rawHmac(): number[] {
  const key = Buffer.alloc(32, 7);
  const out: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    let n = 0;
    const start = performance.now();
    while (performance.now() - start < 1000) {
      for (let i = 0; i < 1000; i++)
        createHmac('sha256', key)
          .update(`{"s":"abcdefghijkl","l":"a:abcdefghijkl","exp":${n++}}`)
          .digest('base64url');
    }
    out.push(n / ((performance.now() - start) / 1000));
  }
  return out;
}

async function redisReachable(): Promise<boolean> {
  const { createConnection } = await import('node:net');
  return new Promise((resolve) => {
    const s = createConnection(6379, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

const bare = median(await bareHttp());
const hmac = median(rawHmac());
const memory = await rostraFigures({}, CONCURRENCY);
const rows: string[][] = [
  [
    'join path, 1 server core',
    'median /s',
    'rounds',
    'vs bare node:http',
    'vs raw HMAC',
    'node CPU µs/req',
    'per full core*',
    'Redis CPU µs/req',
  ],
];
const row = (name: string, xs: Rounds, redis: boolean) => {
  const m = median(xs.perSecond);
  const us = median(xs.cpuUs);
  const perCore = 1e6 / us;
  writeSummary([
    {
      measure: `join path: ${name}, per full core (10⁶ ÷ CPU µs per request)`,
      value: `${fmt(perCore)} /s (${fmt(us, 1)} µs)`,
      reference: `bare node:http ${fmt(bare)} /s`,
      ratio: `${fmt((perCore / bare) * 100, 1)} %`,
    },
  ]);
  rows.push([
    name,
    fmt(m),
    xs.perSecond.map((x) => fmt(x)).join(' / '),
    `${fmt((m / bare) * 100, 1)} %`,
    `${fmt((m / hmac) * 100, 2)} %`,
    fmt(us, 1),
    fmt(perCore),
    redis ? fmt(median(xs.redisUs), 1) : '-',
  ]);
};
row('tickets issued (POST /listen), memory bus', memory.listen, false);
row('heartbeats (POST /heartbeat), memory bus', memory.heartbeat, false);
if (await redisReachable()) {
  const redis = await rostraFigures({ REDIS_URL: 'redis://127.0.0.1:6379' }, REDIS_CONCURRENCY);
  row('tickets issued (POST /listen), Redis bus', redis.listen, true);
  row('heartbeats (POST /heartbeat), Redis bus', redis.heartbeat, true);
}
rows.push(['reference: bare node:http, same core', fmt(bare), '', '100 %', '', '', '', '']);
rows.push(['reference: raw HMAC-SHA256 sign loop', fmt(hmac), '', '', '100 %', '', '', '']);
printTable(rows);
console.log(
  `\n${ROUNDS} rounds of ${SECONDS} s, ${CONCURRENCY} keep-alive connections from wrk (${REDIS_CONCURRENCY} on the Redis bus, whose presence writes are batched every ~100 ms); server pinned to core 0, wrk to core 1.\n* per full core = 10⁶ ÷ the node's CPU µs per request (/proc/<pid>/stat over each round): what one busy core answers, measured where the rate is bounded by the requests in flight (the Redis bus).`,
);
