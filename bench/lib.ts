/** Small helpers shared by the benchmarks: medians, a table printer, and an HTTP load loop. */
import { existsSync, readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** The nearest-rank percentile `p` (0–100) of `xs`; NaN when empty. */
export function percentile(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? Number.NaN;
}

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

export function printTable(rows: readonly (readonly string[])[]): void {
  const widths = rows[0]?.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length))) ?? [];
  rows.forEach((r, n) => {
    console.log(
      r.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  '),
    );
    if (n === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  });
}

export interface LoadResult {
  ok: number;
  errors: number;
  seconds: number;
  perSecond: number;
}

/**
 * Keeps `concurrency` requests in flight on keep-alive connections for `seconds`; `next` builds each
 * request, `onBody` sees each 2xx answer. Bounded in time; stops by itself.
 */
export async function loadLoop(opts: {
  host: string;
  port: number;
  seconds: number;
  concurrency: number;
  next: () => { method: string; path: string; body?: string };
  onBody?: (body: string) => void;
}): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: opts.concurrency });
  const until = performance.now() + opts.seconds * 1000;
  let ok = 0;
  let errors = 0;
  const worker = async () => {
    while (performance.now() < until) {
      const req = opts.next();
      await new Promise<void>((resolve) => {
        const r = request(
          {
            host: opts.host,
            port: opts.port,
            method: req.method,
            path: req.path,
            agent,
            headers:
              req.body !== undefined
                ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(req.body) }
                : {},
          },
          (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              if (res.statusCode !== undefined && res.statusCode < 300) {
                ok++;
                opts.onBody?.(Buffer.concat(chunks).toString());
              } else errors++;
              resolve();
            });
          },
        );
        r.on('error', () => {
          errors++;
          resolve();
        });
        r.end(req.body);
      });
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  const seconds = (performance.now() - start) / 1000;
  agent.destroy();
  return { ok, errors, seconds, perSecond: ok / seconds };
}

/** utime + stime of a process, in seconds (USER_HZ is 100 on Linux). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

/** Prefixes a command with `taskset -c <core>` when taskset exists, so a measured server keeps to one core. */
export function pin(core: number, cmd: string[]): string[] {
  return existsSync('/usr/bin/taskset') ? ['taskset', '-c', String(core), ...cmd] : cmd;
}

/** `rostra serve` on loopback with no per-node cap, pinned to core 0: the origin every bench measures. */
export function serveCommand(port: number, dataDir: string): string[] {
  return pin(0, [
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
    dataDir,
    '--max-listeners-per-node',
    '0',
    // The benches load one node from one loopback address to measure its capacity; the guard's
    // per-address limits would measure the guard instead (bench/flood.bench.ts does that).
    ...UNGUARDED_FLAGS,
  ]);
}

/** Per-address limits lifted for capacity benches (everything comes from 127.0.0.1 there). */
export const UNGUARDED = {
  joinsPerIp: 1_000_000_000,
  joinsPerPrefix: 1_000_000_000,
  connectionsPerIp: 0,
  websocketsPerIp: 1_000_000,
  heldReloadsPerIp: 1_000_000,
  wsConnectsPerIp: 1_000_000_000,
  junkPerIp: 1_000_000_000,
  shedding: false,
} as const;

const UNGUARDED_FLAGS = Object.entries(UNGUARDED).flatMap(([k, v]) => [
  `--guard-${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`,
  String(v === false ? 'off' : v),
]);
