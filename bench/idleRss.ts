/**
 * Idle RSS of a whole `rostra serve` process, as `npm start` runs it (compiled, from dist/, when built;
 * through tsx otherwise, which adds its own ~30 MB): on the embedded PGlite, fresh and restarted, and on
 * PostgreSQL in the same run. Read from /proc/<pid>/status (VmRSS) after the node has idled.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { freePort } from '../src/testing/ServeProcess.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const IDLE_MS = 10_000;

export interface IdleRss {
  label: string;
  rssMb: number;
  startMs: number;
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN) / 1024;
}

/** The command `npm start` runs, and whether it is the compiled one. */
export function startCommand(): { argv: string[]; compiled: boolean } {
  // BENCH_DIST: another build of the server (default dist/, as `npm run build` leaves it).
  const dist = join(process.env.BENCH_DIST ?? join(root, 'dist'), 'cli/entry.js');
  if (existsSync(dist)) return { argv: [dist], compiled: true };
  return { argv: ['--import', 'tsx', join(root, 'src/cli/entry.ts')], compiled: false };
}

async function measure(label: string, dataDir: string, env: Record<string, string>): Promise<IdleRss> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [...startCommand().argv, 'serve', '--port', String(port), '--host', '127.0.0.1', '--data', dataDir],
    { cwd: root, env: { ...process.env, ROSTRA_LOG_LEVEL: 'silent', ...env }, stdio: 'ignore' },
  );
  try {
    const t0 = performance.now();
    for (;;) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) break;
      } catch {
        // not listening yet
      }
      if (performance.now() - t0 > 180_000) throw new Error(`${label}: rostra serve did not start`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const startMs = performance.now() - t0;
    await new Promise((r) => setTimeout(r, IDLE_MS));
    return { label, rssMb: rssMb(child.pid as number), startMs };
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
}

/** The goal for an idle node on the embedded default (issue 13): a two-command start on a 1 GB VPS. */
export const IDLE_RSS_GOAL_MB = 200;

/** A bare `node:http` server listening on loopback and doing nothing: what Node itself costs. */
export async function bareNodeRss(): Promise<IdleRss> {
  const script =
    "require('node:http').createServer((q, s) => s.end()).listen(0, '127.0.0.1', () => console.log('up'))";
  const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'ignore'] });
  try {
    const t0 = performance.now();
    await new Promise((r) => child.stdout?.once('data', r));
    const startMs = performance.now() - t0;
    await new Promise((r) => setTimeout(r, 2000));
    return { label: 'reference: bare node:http server', rssMb: rssMb(child.pid as number), startMs };
  } finally {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }
}

/** The embedded default fresh and restarted, then PostgreSQL (a throwaway schema) as the reference. */
export async function idleRss(): Promise<IdleRss[]> {
  const data = mkdtempSync(join(tmpdir(), 'rostra-idle-'));
  const out: IdleRss[] = [];
  try {
    out.push(await measure('embedded PGlite, fresh data dir (first npm start)', data, {}));
    out.push(await measure('embedded PGlite, restarted', data, {}));
  } finally {
    rmSync(data, { recursive: true, force: true });
  }
  const url = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const schema = `bench_idle_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  const pgData = mkdtempSync(join(tmpdir(), 'rostra-idle-pg-'));
  try {
    await admin.query(`CREATE SCHEMA ${schema}`);
    const sep = url.includes('?') ? '&' : '?';
    const databaseUrl = `${url}${sep}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    out.push(await measure('reference: PostgreSQL (DATABASE_URL)', pgData, { DATABASE_URL: databaseUrl }));
  } finally {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
    rmSync(pgData, { recursive: true, force: true });
  }
  return out;
}
