/**
 * The guard under attack, each scenario beside the same run without the attack (docs/guard.md). One
 * `rostra serve` with the default guard, pinned to core 0; attackers and real clients on core 1, each on
 * a loopback address of its own (all of 127/8 is loopback, so per-address and per-/24 limits apply).
 *   lockout   anonymous joins as fast as one core sends them (one address, then 256 addresses); a real
 *             listener tries every 5 s: admitted share, and the longest wait.
 *   flood     200 simulated LL-HLS listeners; then forged tickets and junk, 500 slowloris sockets and
 *             1,000 idle WebSockets: stalls, part delay p99, RSS growth, sockets closed by deadlines.
 *   nat       300 listeners joining from one address within 1 s.
 *   surge     5,000 joins within 5 s from 20 networks: admitted or a clean 503 + Retry-After.
 *   signin    300 sign-ups and 1,000 failed sign-ins in 10 s; a real user signs in every second, and a
 *             join probe every 100 ms gives the join path's p99.
 *
 * Run: npm run bench -- flood     (FLOOD_SECONDS=60 for the full length; default 20 s per attack)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { runLoadTest } from '../src/loadtest/index.js';
import { freePort } from '../src/testing/ServeProcess.js';
import { fmt, pin, printTable } from './lib.js';
import { writeSummary } from './summary.js';

const SECONDS = Number(process.env.FLOOD_SECONDS ?? 20);
const root = fileURLToPath(new URL('..', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Answer {
  status: number;
  retryAfter: string | undefined;
  setCookie?: string | undefined;
  json: Record<string, unknown>;
  ms: number;
}

function call(
  port: number,
  method: string,
  path: string,
  opts: { body?: unknown; from?: string; agent?: Agent; token?: string; cookie?: string } = {},
): Promise<Answer> {
  const t0 = performance.now();
  const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method,
        path,
        ...(opts.from ? { localAddress: opts.from } : {}),
        ...(opts.agent ? { agent: opts.agent } : {}),
        headers: {
          ...(payload !== undefined
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
            : {}),
          ...(opts.token ? { authorization: `Bearer ${opts.token}` } : {}),
          ...(opts.cookie ? { cookie: opts.cookie } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          // Playlists and parts are not JSON, and not needed here.
          const json = text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : {};
          const ra = res.headers['retry-after'];
          const setCookie = res.headers['set-cookie']?.[0]?.split(';')[0];
          resolve({
            status: res.statusCode ?? 0,
            retryAfter: ra,
            setCookie,
            json,
            ms: performance.now() - t0,
          });
        });
      },
    );
    req.on('error', () =>
      resolve({ status: 0, retryAfter: undefined, json: {}, ms: performance.now() - t0 }),
    );
    req.end(payload);
  });
}

async function startServer(): Promise<{ child: ChildProcess; port: number; data: string }> {
  const port = await freePort();
  const data = mkdtempSync(join(tmpdir(), 'rostra-flood-'));
  const cmd = pin(0, [
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
  ]);
  const [exe, ...args] = cmd as [string, ...string[]];
  const child = spawn(exe, args, {
    cwd: root,
    env: { ...process.env, ROSTRA_LOG_LEVEL: 'silent' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  // Up to two minutes: on a busy machine, compiling and opening the store takes a while.
  for (let i = 0; i < 1200; i++) {
    if ((await call(port, 'GET', '/healthz')).status === 200) return { child, port, data };
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error('rostra serve did not start');
}

async function stopServer(s: { child: ChildProcess; data: string }): Promise<void> {
  const done = new Promise((r) => s.child.once('exit', r));
  s.child.kill('SIGTERM');
  await done;
  rmSync(s.data, { recursive: true, force: true });
}

let seq = 0;
async function space(port: number): Promise<{ id: string; token: string }> {
  const handle = `flood${++seq}${Date.now().toString(36)}`.slice(0, 15);
  const from = `127.9.${seq}.1`;
  const up = await call(port, 'POST', '/api/v1/auth/signup', {
    body: { handle, password: 'bench password long', displayName: 'Bench' },
    from,
  });
  const token = String(up.json.token);
  const created = await call(port, 'POST', '/api/v1/spaces', { body: { title: 'Flood' }, token, from });
  return { id: String(created.json.id), token };
}

/** Sends requests back to back from `addresses` (round robin) until `stop()`; counts answers by status. */
function hammer(
  port: number,
  make: () => { method: string; path: string; body?: unknown },
  addresses: string[],
  concurrency = 32,
) {
  let running = true;
  const statuses = new Map<number, number>();
  let sent = 0;
  const agents = addresses.map(
    () => new Agent({ keepAlive: true, maxSockets: Math.ceil(concurrency / addresses.length) + 1 }),
  );
  const worker = async (w: number) => {
    while (running) {
      const i = (sent++ + w) % addresses.length;
      const r = make();
      const a = await call(port, r.method, r.path, { body: r.body, from: addresses[i], agent: agents[i] });
      statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
    }
  };
  const done = Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  return {
    statuses,
    stop: async () => {
      running = false;
      await done;
      for (const a of agents) a.destroy();
    },
  };
}

const describeStatuses = (m: Map<number, number>) =>
  [...m]
    .sort((a, b) => a[0] - b[0])
    .map(([s, n]) => `${s}:${fmt(n)}`)
    .join(' ');

/** A real listener who tries every 5 s; a refusal with Retry-After is retried then, for up to 10 s. */
async function realListener(port: number, id: string, seconds: number, from: string) {
  const waits: number[] = [];
  let admitted = 0;
  let tries = 0;
  const end = performance.now() + seconds * 1000;
  while (performance.now() < end) {
    tries++;
    const t0 = performance.now();
    let cookie: string | undefined;
    for (;;) {
      const a = await call(port, 'POST', `/api/v1/spaces/${id}/listen`, {
        body: {},
        from,
        ...(cookie ? { cookie } : {}),
      });
      if (a.status === 200) {
        admitted++;
        waits.push(performance.now() - t0);
        break;
      }
      if (performance.now() - t0 > 10_000 || a.retryAfter === undefined) {
        console.log(`  real listener refused: ${a.status} ${JSON.stringify(a.json)}`);
        break;
      }
      // A place in line comes as a cookie, as a browser would keep it.
      if (a.setCookie?.startsWith('rostra_queue=')) cookie = a.setCookie;
      await sleep(Number(a.retryAfter) * 1000);
    }
    await sleep(Math.max(0, 5000 - (performance.now() - t0)));
  }
  return { tries, admitted, maxWaitMs: Math.max(0, ...waits) };
}

async function lockout(port: number): Promise<string[][]> {
  const { id } = await space(port);
  const calm = await realListener(port, id, Math.min(SECONDS, 20), '127.1.1.1');
  const rows: string[][] = [];
  const row = (name: string, r: typeof calm, attack: string) => [
    name,
    `${r.admitted}/${r.tries}`,
    `${fmt(r.maxWaitMs)} ms`,
    attack,
  ];
  rows.push(row('lockout: calm', calm, '-'));
  for (const [name, addresses] of [
    ['lockout: 1 address', ['127.2.0.1']],
    ['lockout: 256 addresses', Array.from({ length: 256 }, (_, i) => `127.3.${i}.1`)],
  ] as const) {
    const h = hammer(port, () => ({ method: 'POST', path: `/api/v1/spaces/${id}/listen`, body: {} }), [
      ...addresses,
    ]);
    const r = await realListener(port, id, SECONDS, '127.1.1.2');
    await h.stop();
    rows.push(row(name, r, describeStatuses(h.statuses)));
    writeSummary([
      {
        measure: `guard ${name}: real listener admitted`,
        value: `${r.admitted}/${r.tries}`,
        reference: `${calm.admitted}/${calm.tries} calm`,
        ratio: '',
      },
    ]);
  }
  return rows;
}

async function rssMb(port: number): Promise<number> {
  const text = await new Promise<string>((resolve) => {
    request({ host: '127.0.0.1', port, path: '/metrics' }, (res) => {
      const c: Buffer[] = [];
      res.on('data', (d: Buffer) => c.push(d));
      res.on('end', () => resolve(Buffer.concat(c).toString()));
    }).end();
  });
  const m = /^rostra_process_resident_memory_bytes (\d+(\.\d+)?(e\+\d+)?)/m.exec(text);
  return m ? Number(m[1]) / 1e6 : NaN;
}

async function flood(port: number): Promise<string[][]> {
  const { id } = await space(port);
  const url = `http://127.0.0.1:${port}/s/${id}`;
  const run = () => runLoadTest({ url, listeners: 200, durationS: SECONDS, decoders: 0, expectSound: false });
  const calm = await run();
  const rss0 = await rssMb(port);
  // The attack: forged tickets and junk from 8 addresses, slowloris and idle WebSockets from 4 more.
  const junk = hammer(
    port,
    () =>
      Math.random() < 0.5
        ? { method: 'GET', path: `/live/${id}/audio.m3u8?ticket=forged${Math.random()}` }
        : { method: 'POST', path: `/api/v1/spaces/${id}/listen`, body: { ticket: 42 } },
    Array.from({ length: 8 }, (_, i) => `127.4.${i}.1`),
    32,
  );
  const slow: Socket[] = [];
  let slowClosed = 0;
  for (let i = 0; i < 500; i++) {
    const s = connect({ host: '127.0.0.1', port, localAddress: `127.5.${i % 4}.1` });
    s.on('error', () => undefined); // a closed socket is the point
    s.once('close', () => slowClosed++);
    s.write('GET /healthz HTTP/1.1\r\nHost: x\r\n');
    slow.push(s);
  }
  const trickle = setInterval(() => {
    for (const s of slow) if (!s.destroyed) s.write(`X-${Date.now()}: 1\r\n`);
  }, 2000);
  let idleClosed = 0;
  const idle: WebSocket[] = [];
  for (let i = 0; i < 1000; i++) {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/v1/events`, { localAddress: `127.6.${i % 4}.1` });
    ws.on('error', () => undefined); // refusals and closes are counted, not thrown
    ws.once('close', () => idleClosed++);
    idle.push(ws);
  }
  const attacked = await run();
  const rss1 = await rssMb(port);
  await junk.stop();
  clearInterval(trickle);
  for (const s of slow) s.destroy();
  for (const ws of idle) ws.terminate();
  const rows = [
    ['flood: calm', `${calm.stallRate.toFixed(4)} stall rate`, `${fmt(calm.partDelayMs.p99)} ms p99`, '-'],
    [
      'flood: attacked',
      `${attacked.stallRate.toFixed(4)} stall rate`,
      `${fmt(attacked.partDelayMs.p99)} ms p99`,
      `junk ${describeStatuses(junk.statuses)}; slowloris closed ${slowClosed}/500; idle WS closed ${idleClosed}/1000; RSS +${fmt(rss1 - rss0)} MB`,
    ],
  ];
  writeSummary([
    {
      measure: 'guard flood: part delay p99 (attacked / calm)',
      value: `${fmt(attacked.partDelayMs.p99)} ms`,
      reference: `${fmt(calm.partDelayMs.p99)} ms`,
      ratio: (attacked.partDelayMs.p99 / Math.max(1, calm.partDelayMs.p99)).toFixed(2),
    },
  ]);
  return rows;
}

async function nat(port: number): Promise<string[][]> {
  const { id } = await space(port);
  const burst = async (addr: (i: number) => string) => {
    const answers = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        call(port, 'POST', `/api/v1/spaces/${id}/listen`, { body: {}, from: addr(i) }),
      ),
    );
    const statuses = new Map<number, number>();
    for (const a of answers) statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
    if (statuses.size > 1 || !statuses.has(200))
      console.log(`  nat: ${describeStatuses(statuses)}`, answers.find((a) => a.status !== 200)?.json);
    return answers.filter((a) => a.status === 200).length;
  };
  const calm = await burst((i) => `127.7.${i % 250}.${1 + Math.floor(i / 250)}`);
  const office = await burst(() => '127.8.0.1');
  writeSummary([
    {
      measure: 'guard NAT: 300 joins from one address admitted',
      value: `${office}/300`,
      reference: `${calm}/300 from 300 addresses`,
      ratio: '',
    },
  ]);
  return [
    ['nat: 300 addresses', `${calm}/300`, '', ''],
    ['nat: one address', `${office}/300`, '', ''],
  ];
}

async function surge(port: number): Promise<string[][]> {
  const { id } = await space(port);
  const wave = async (n: number) => {
    const statuses = new Map<number, number>();
    let clean = 0;
    const agent = new Agent({ keepAlive: true, maxSockets: 64 });
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: n }, async (_, i) => {
        await sleep((i / n) * 5000);
        const a = await call(port, 'POST', `/api/v1/spaces/${id}/listen`, {
          body: {},
          from: `127.10.${i % 20}.${1 + (Math.floor(i / 20) % 250)}`,
        });
        statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
        if (a.status === 200 || (a.status === 503 && a.retryAfter !== undefined)) clean++;
      }),
    );
    agent.destroy();
    return { statuses, clean, seconds: (performance.now() - t0) / 1000 };
  };
  const calm = await wave(500);
  const big = await wave(5000);
  writeSummary([
    {
      measure: 'guard surge: 5,000 joins in 5 s admitted or clean 503',
      value: `${((big.clean / 5000) * 100).toFixed(2)} %`,
      reference: `${((calm.clean / 500) * 100).toFixed(2)} % of 500`,
      ratio: '',
    },
  ]);
  return [
    [
      'surge: 500 in 5 s',
      `${calm.clean}/500 clean`,
      `${calm.seconds.toFixed(1)} s`,
      describeStatuses(calm.statuses),
    ],
    [
      'surge: 5,000 in 5 s',
      `${big.clean}/5000 clean`,
      `${big.seconds.toFixed(1)} s`,
      describeStatuses(big.statuses),
    ],
  ];
}

async function signinStorm(port: number): Promise<string[][]> {
  const { id } = await space(port);
  const handle = `real${Date.now().toString(36)}`.slice(0, 15);
  await call(port, 'POST', '/api/v1/auth/signup', {
    body: { handle, password: 'the real password', displayName: 'Real' },
    from: '127.11.0.1',
  });
  const probe = async (seconds: number) => {
    const signins: Answer[] = [];
    const joins: number[] = [];
    const end = performance.now() + seconds * 1000;
    const joinLoop = (async () => {
      while (performance.now() < end) {
        joins.push(
          (await call(port, 'POST', `/api/v1/spaces/${id}/listen`, { body: {}, from: '127.12.0.1' })).ms,
        );
        await sleep(100);
      }
    })();
    while (performance.now() < end) {
      signins.push(
        await call(port, 'POST', '/api/v1/auth/signin', {
          body: { handle, password: 'the real password' },
          from: '127.11.0.2',
        }),
      );
      await sleep(1000);
    }
    await joinLoop;
    joins.sort((a, b) => a - b);
    return {
      ok: signins.filter((s) => s.status === 200).length,
      refused: signins.filter((s) => s.status !== 200).map((s) => s.status),
      n: signins.length,
      maxMs: Math.max(...signins.map((s) => s.ms)),
      joinP99: joins[Math.floor(joins.length * 0.99)] ?? NaN,
    };
  };
  const calm = await probe(10);
  // The storm: 300 sign-ups and 1,000 failed sign-ins (the real user's handle among them) in 10 s.
  const storm = (async () => {
    const jobs: Promise<Answer>[] = [];
    for (let i = 0; i < 1300; i++) {
      const from = `127.13.${i % 10}.1`;
      jobs.push(
        i < 300
          ? call(port, 'POST', '/api/v1/auth/signup', {
              body: {
                handle: `s${i}x${Date.now().toString(36)}`.slice(0, 15),
                password: 'storm password',
                displayName: 'Storm',
              },
              from,
            })
          : call(port, 'POST', '/api/v1/auth/signin', {
              body: { handle: i % 2 ? handle : `nobody${i}`, password: 'wrong password' },
              from,
            }),
      );
      await sleep(10_000 / 1300);
    }
    return Promise.all(jobs);
  })();
  const stormy = await probe(10);
  const answers = await storm;
  const statuses = new Map<number, number>();
  for (const a of answers) statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
  writeSummary([
    {
      measure: 'guard sign-in storm: real sign-in, slowest',
      value: `${fmt(stormy.maxMs)} ms`,
      reference: `${fmt(calm.maxMs)} ms calm`,
      ratio: (stormy.maxMs / Math.max(1, calm.maxMs)).toFixed(2),
    },
  ]);
  return [
    [
      'signin: calm',
      `${calm.ok}/${calm.n} ok, slowest ${fmt(calm.maxMs)} ms`,
      `join p99 ${fmt(calm.joinP99)} ms`,
      '-',
    ],
    [
      'signin: storm',
      `${stormy.ok}/${stormy.n} ok, slowest ${fmt(stormy.maxMs)} ms${stormy.refused.length > 0 ? ` (refused: ${stormy.refused.join(',')})` : ''}`,
      `join p99 ${fmt(stormy.joinP99)} ms`,
      describeStatuses(statuses),
    ],
  ];
}

const only = (process.env.FLOOD_SCENARIOS ?? 'lockout,flood,nat,surge,signin').split(',');
const scenarios: [string, (port: number) => Promise<string[][]>][] = [
  ['lockout', lockout],
  ['flood', flood],
  ['nat', nat],
  ['surge', surge],
  ['signin', signinStorm],
];
const rows: string[][] = [['scenario', 'outcome', 'time / delay', 'attack answers and notes']];
for (const [name, run] of scenarios) {
  if (!only.includes(name)) continue;
  // A fresh server per scenario: one attack's counters and memory do not carry into the next.
  const server = await startServer();
  try {
    rows.push(...(await run(server.port)));
  } finally {
    await stopServer(server);
  }
}
console.log(
  `\nThe guard under attack (${SECONDS} s per attack; the server on core 0, everything else on core 1)\n`,
);
printTable(rows);
