/**
 * The listener join path on one core: listener tickets issued per second (POST /listen) and presence
 * heartbeats per second (POST /heartbeat), against a bare node:http server on the same core and a raw
 * HMAC loop, in the same run. The server is pinned to core 0 and the load generator to core 1.
 *
 * Run: npm run bench -- joinpath      (ROUNDS, SECONDS, CONCURRENCY to change the defaults)
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../src/testing/ServeProcess.js';
import { fmt, loadLoop, median, printTable } from './lib.js';

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const SECONDS = Number(process.env.SECONDS ?? 3);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 32);
const root = fileURLToPath(new URL('..', import.meta.url));
const pin = (core: number, cmd: string[]) =>
  existsSync('/usr/bin/taskset') ? ['taskset', '-c', String(core), ...cmd] : cmd;

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

async function rostraFigures(
  busEnv: Record<string, string>,
): Promise<{ listen: number[]; heartbeat: number[] }> {
  const port = await freePort();
  const data = mkdtempSync(join(tmpdir(), 'rostra-bench-'));
  const child = await startProcess(
    pin(0, [
      process.execPath,
      '--import',
      'tsx',
      'src/cli/entry.ts',
      'serve',
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--data',
      data,
      '--max-listeners-per-node',
      '0',
    ]),
    port,
    busEnv,
  );
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
    const tickets: string[] = [];
    const listen: number[] = [];
    const heartbeat: number[] = [];
    // Warm up the JIT before measuring.
    await loadLoop({
      host: '127.0.0.1',
      port,
      seconds: 1,
      concurrency: CONCURRENCY,
      next: () => ({ method: 'POST', path: `/api/v1/spaces/${id}/listen`, body: '{}' }),
    });
    for (let r = 0; r < ROUNDS; r++) {
      const l = await loadLoop({
        host: '127.0.0.1',
        port,
        seconds: SECONDS,
        concurrency: CONCURRENCY,
        next: () => ({ method: 'POST', path: `/api/v1/spaces/${id}/listen`, body: '{}' }),
        onBody: (b) => {
          if (tickets.length < 50_000) tickets.push((JSON.parse(b) as { ticket: string }).ticket);
        },
      });
      listen.push(l.perSecond);
      let i = 0;
      const h = await loadLoop({
        host: '127.0.0.1',
        port,
        seconds: SECONDS,
        concurrency: CONCURRENCY,
        next: () => ({
          method: 'POST',
          path: `/api/v1/spaces/${id}/heartbeat`,
          body: JSON.stringify({ ticket: tickets[i++ % tickets.length] }),
        }),
      });
      heartbeat.push(h.perSecond);
      if (l.errors + h.errors > 0)
        console.log(`  (round ${r}: ${l.errors} listen errors, ${h.errors} heartbeat errors)`);
    }
    return { listen, heartbeat };
  } finally {
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
    await loadLoop({
      host: '127.0.0.1',
      port,
      seconds: 1,
      concurrency: CONCURRENCY,
      next: () => ({ method: 'POST', path: '/x', body: '{}' }),
    });
    const out: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      out.push(
        (
          await loadLoop({
            host: '127.0.0.1',
            port,
            seconds: SECONDS,
            concurrency: CONCURRENCY,
            next: () => ({ method: 'POST', path: '/x', body: '{}' }),
          })
        ).perSecond,
      );
    }
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

// The generator keeps to core 1 so that it never competes with the server it measures.
if (existsSync('/usr/bin/taskset'))
  execFileSync('taskset', ['-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });

const bare = median(await bareHttp());
const hmac = median(rawHmac());
const memory = await rostraFigures({});
const rows: string[][] = [
  ['join path, 1 server core', 'median /s', 'rounds', 'vs bare node:http', 'vs raw HMAC'],
];
const row = (name: string, xs: number[]) => {
  const m = median(xs);
  rows.push([
    name,
    fmt(m),
    xs.map((x) => fmt(x)).join(' / '),
    `${fmt((m / bare) * 100, 1)} %`,
    `${fmt((m / hmac) * 100, 2)} %`,
  ]);
};
row('tickets issued (POST /listen), memory bus', memory.listen);
row('heartbeats (POST /heartbeat), memory bus', memory.heartbeat);
if (await redisReachable()) {
  const redis = await rostraFigures({ REDIS_URL: 'redis://127.0.0.1:6379' });
  row('tickets issued (POST /listen), Redis bus', redis.listen);
  row('heartbeats (POST /heartbeat), Redis bus', redis.heartbeat);
}
rows.push(['reference: bare node:http, same core', fmt(bare), '', '100 %', '']);
rows.push(['reference: raw HMAC-SHA256 sign loop', fmt(hmac), '', '', '100 %']);
printTable(rows);
console.log(
  `\n${ROUNDS} rounds of ${SECONDS} s, ${CONCURRENCY} keep-alive connections; server pinned to core 0, generator on core 1.`,
);
