/**
 * Origin requests per second behind one edge and behind three, for the same audience: simulated listeners
 * (src/loadtest) play one live space through the shipped nginx edge (deploy/nginx), split evenly over the
 * edges. The origin is one `rostra serve` with a bot speaker; its /live/ requests are read from /metrics
 * before and after each run. With coalescing, an edge sends the origin about one blocking reload and one
 * part per part whatever its audience, so the origin's load grows with the number of edges, not listeners.
 *
 * Run: npm run bench -- edges      (LISTENERS=300 SECONDS=15 to change the defaults)
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SpeakerBot } from '../src/bot/index.js';
import { runLoadTest } from '../src/loadtest/index.js';
import { EdgeNginx } from '../src/testing/Nginx.js';
import { freePort } from '../src/testing/ServeProcess.js';
import { fmt, printTable, serveCommand } from './lib.js';

const LISTENERS = Number(process.env.LISTENERS ?? 300);
const SECONDS = Number(process.env.SECONDS ?? 15);
const root = fileURLToPath(new URL('..', import.meta.url));
const secret = randomBytes(24).toString('hex');

/** The origin's /live/ requests so far, from its /metrics. */
async function liveRequests(base: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  let n = 0;
  for (const m of text.matchAll(
    /^rostra_http_requests_total\{[^}]*route="\/live\/[^"]*"[^}]*\} (\d+(?:\.\d+)?)/gm,
  ))
    n += Number(m[1]);
  return n;
}

async function main(): Promise<void> {
  const port = await freePort();
  const data = mkdtempSync(join(tmpdir(), 'rostra-bench-edges-'));
  const [exe, ...args] = serveCommand(port, data) as [string, ...string[]];
  const origin = spawn(exe, args, {
    cwd: root,
    env: { ...process.env, ROSTRA_LOG_LEVEL: 'silent', ROSTRA_SECRET: secret },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  const edges: EdgeNginx[] = [];
  let bot: SpeakerBot | undefined;
  try {
    for (let i = 0; ; i++) {
      try {
        await fetch(`${base}/healthz`);
        break;
      } catch {
        if (i > 600) throw new Error('rostra serve did not start within 60 s');
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const signup = await fetch(`${base}/api/v1/auth/signup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ handle: 'bench_edges', password: 'bench password', displayName: 'Bench' }),
    });
    const { token } = (await signup.json()) as { token: string };
    const created = await fetch(`${base}/api/v1/spaces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ title: 'Edges' }),
    });
    const { id } = (await created.json()) as { id: string };
    bot = new SpeakerBot({
      whipUrl: `${base}/api/v1/spaces/${id}/whip`,
      token,
      audio: { kind: 'tone', frequencyHz: 440, levelDbfs: -12 },
    });
    await bot.start();
    for (let i = 0; i < 3; i++) edges.push(await EdgeNginx.start({ originPort: port, secret }));

    const rows: string[][] = [['edges', 'listeners', 'origin /live/ requests/s', 'per edge', 'stalls']];
    for (const count of [1, 3]) {
      const used = edges.slice(0, count);
      const before = await liveRequests(base);
      const started = performance.now();
      const reports = await Promise.all(
        used.map((edge) =>
          runLoadTest({
            url: `http://127.0.0.1:${edge.port}/live/${id}/index.m3u8`,
            listeners: Math.round(LISTENERS / count),
            rampS: 2,
            durationS: SECONDS,
            decoders: 0,
          }),
        ),
      );
      const perSecond = ((await liveRequests(base)) - before) / ((performance.now() - started) / 1000);
      const stalls = reports.reduce((a, r) => a + r.stalls, 0);
      rows.push([String(count), fmt(LISTENERS), fmt(perSecond, 1), fmt(perSecond / count, 1), fmt(stalls)]);
    }
    console.log(
      `origin requests behind the shipped nginx edge, the same ${fmt(LISTENERS)} listeners over 1 or 3 edges, ${SECONDS} s each (0.5 s parts)`,
    );
    printTable(rows);
  } finally {
    await bot?.stop();
    for (const e of edges) await e.stop();
    const done = new Promise((r) => origin.once('exit', r));
    origin.kill('SIGTERM');
    await done;
    rmSync(data, { recursive: true, force: true });
  }
}

await main();
