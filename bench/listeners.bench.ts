/**
 * LL-HLS listeners per origin core: simulated listeners (src/loadtest, no decoding) against one Rostra
 * origin pinned to core 0, stepped up until the stall rate reaches 0.1 % or a step fails; then the same
 * generator against Debian nginx with the shipped edge config (deploy/nginx), its processes pinned to
 * core 0 too, in the same run. The generator is one Node process pinned to core 1.
 * Also: part delivery delay at 0.5 s and 0.2 s parts (memory is in bench/memory.bench.ts).
 *
 * With two cores the generator may saturate before the server does, so each row also gives the server's
 * measured CPU, and "per full core" = listeners ÷ that CPU share (a linear extrapolation, marked as such).
 *
 * Run: npm run bench -- listeners     (STEPS=250,500,… SECONDS=12 to change the defaults)
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SpeakerBot } from '../src/bot/index.js';
import type { LoadTestReport } from '../src/loadtest/index.js';
import { EdgeNginx } from '../src/testing/Nginx.js';
import { freePort } from '../src/testing/ServeProcess.js';
import { cpuSeconds, fmt, pin, printTable, serveCommand } from './lib.js';
import { writeSummary } from './summary.js';

const STEPS = (process.env.STEPS ?? '250,500,750,1000,1250,1500,2000').split(',').map(Number);
/** Which series to run (default all): `origin`, `nginx` (needs `origin`), `fast` (0.2 s parts). */
const SERIES = new Set((process.env.SERIES ?? 'origin,nginx,fast').split(','));
/** A directory: the origin runs with `--cpu-prof` and writes its profile there (for finding hot spots). */
const CPU_PROF = process.env.CPU_PROF;
/** Node flags for the origin (an A/B of V8 settings, say), space-separated. */
const ORIGIN_NODE_FLAGS = process.env.ORIGIN_NODE_FLAGS;
const SECONDS = Number(process.env.SECONDS ?? 12);
/** Listeners in the probe process beside each step's crowd (see `step`). */
const PROBE_LISTENERS = Number(process.env.PROBE_LISTENERS ?? 4);
/**
 * Interleaved pairs at the top step after both series: origin, nginx, origin, nginx... This machine is
 * shared, and its noise moved one series' CPU per request by half between runs minutes apart (1 Dec);
 * a pair is measured within ~30 s, so the median of the pairs' ratios is the figure to quote.
 */
const PAIRS = Number(process.env.PAIRS ?? 3);
const RAMP_S = 2;
const STALL_LIMIT = 0.001;
const root = fileURLToPath(new URL('..', import.meta.url));
const secret = randomBytes(24).toString('hex');
const taskset = existsSync('/usr/bin/taskset');

interface Origin {
  child: ChildProcess;
  pid: number;
  port: number;
  data: string;
  token: string;
  bots: SpeakerBot[];
}

async function startOrigin(partMs: number): Promise<Origin> {
  const port = await freePort();
  const data = mkdtempSync(join(tmpdir(), 'rostra-bench-'));
  const cmd = serveCommand(port, data);
  if (CPU_PROF) cmd.splice(cmd.indexOf(process.execPath) + 1, 0, '--cpu-prof', '--cpu-prof-dir', CPU_PROF);
  if (ORIGIN_NODE_FLAGS) cmd.splice(cmd.indexOf(process.execPath) + 1, 0, ...ORIGIN_NODE_FLAGS.split(' '));
  const [exe, ...args] = cmd as [string, ...string[]];
  const child = spawn(exe, args, {
    cwd: root,
    env: {
      ...process.env,
      ROSTRA_LOG_LEVEL: 'silent',
      ROSTRA_SECRET: secret,
      ROSTRA_PART_MS: String(partMs),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  for (let i = 0; ; i++) {
    try {
      await fetch(`http://127.0.0.1:${port}/healthz`);
      break;
    } catch {
      if (i > 300) throw new Error('rostra serve did not start');
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  const signup = await fetch(`http://127.0.0.1:${port}/api/v1/auth/signup`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ handle: 'bench_host', password: 'bench password', displayName: 'Bench' }),
  });
  const { token } = (await signup.json()) as { token: string };
  return { child, pid: child.pid as number, port, data, token, bots: [] };
}

/** Opens a space with one bot speaker on its stage; returns the space id once parts flow. */
async function liveSpace(o: Origin, hz: number): Promise<string> {
  const created = await fetch(`http://127.0.0.1:${o.port}/api/v1/spaces`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${o.token}` },
    body: JSON.stringify({ title: `Bench ${hz}` }),
  });
  const { id } = (await created.json()) as { id: string };
  const bot = new SpeakerBot({
    whipUrl: `http://127.0.0.1:${o.port}/api/v1/spaces/${id}/whip`,
    token: o.token,
    audio: { kind: 'tone', frequencyHz: hz, levelDbfs: -12 },
  });
  await bot.start();
  o.bots.push(bot);
  await new Promise((r) => setTimeout(r, 2000));
  return id;
}

async function stopOrigin(o: Origin): Promise<void> {
  for (const b of o.bots) await b.stop();
  const done = new Promise((r) => o.child.once('exit', r));
  o.child.kill('SIGTERM');
  await done;
  rmSync(o.data, { recursive: true, force: true });
}

interface Step {
  n: number;
  report: LoadTestReport;
  /** The probe's report (PROBE_LISTENERS listeners in their own process), when it gave one. */
  probe?: LoadTestReport;
  /** CPU share of one core used by the serving processes in the steady window. */
  serverCpu: number;
  originCpu: number;
  /** Server CPU time per request answered, over the whole run (ramp included), in µs. */
  cpuUsPerRequest: number;
  /** The same less the origin's idle CPU over the run (its live space's frames), in µs. */
  netUsPerRequest: number;
}

/** A process's children (the origin's stage worker). */
function childPids(pid: number): number[] {
  const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
  return text === '' ? [] : text.split(/\s+/).map(Number);
}

/**
 * The origin's CPU share with its space live and no listener, over a few seconds, in cores: the node's
 * own (receiving, packaging and recording the space's frames) and its stage worker's apart (the mix,
 * the speakers' peers, the Opus and AAC encoders), which no listener request costs.
 */
async function idleCpu(pid: number): Promise<{ node: number; stage: number }> {
  const kids = childPids(pid);
  const c0 = cpuSeconds(pid);
  const k0 = kids.map(cpuSeconds);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, 5000));
  const secs = (performance.now() - t0) / 1000;
  const stage = kids.reduce((a, k, i) => a + (cpuSeconds(k) - (k0[i] ?? 0)), 0);
  return { node: (cpuSeconds(pid) - c0) / secs, stage: stage / secs };
}

/** A load generator process (src/cli/loadtest) pinned to core 1; resolves with its JSON report. */
function generator(url: string, n: number, nice = 0): Promise<LoadTestReport | undefined> {
  const script = `const { loadtest } = await import(${JSON.stringify(join(root, 'src/cli/loadtest.ts'))}); process.exitCode = await loadtest(process.argv.slice(1));`;
  const [exe, ...args] = pin(1, [
    ...(nice !== 0 && process.getuid?.() === 0 ? ['nice', '-n', String(nice)] : []),
    process.execPath,
    '--import',
    'tsx',
    '--input-type=module',
    '-e',
    script,
    url,
    '--listeners',
    String(n),
    '--ramp',
    String(RAMP_S),
    '--duration',
    String(SECONDS),
    '--json',
  ]) as [string, ...string[]];
  const child = spawn(exe, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve) =>
    child.once('exit', () => {
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as LoadTestReport);
      } catch {
        resolve(undefined);
      }
    }),
  );
}

/**
 * One generator run pinned to core 1, beside a probe of PROBE_LISTENERS listeners in a process of their
 * own; samples the servers' CPU after the ramp, until 1 s before the end. The probe is what one listener
 * sees: the crowd's generator times its parts on an event loop that is itself busy with the whole crowd
 * at every part (2,000 playlists and parts within a few ms), so its delay includes its own queue. The
 * probe runs ahead of it (nice −10 when root) as a listener on another machine would.
 */
async function step(url: string, n: number, servers: number[], origin: number): Promise<Step> {
  const crowd = generator(url, n);
  const probe = generator(url, PROBE_LISTENERS, -10);
  const whole0 = servers.reduce((a, p) => a + cpuSeconds(p), 0);
  const wholeT0 = performance.now();
  // tsx start-up takes ~1 s before the ramp begins; the window is the last part of the run.
  await new Promise((r) => setTimeout(r, (RAMP_S + 2.5) * 1000));
  const sum = (pids: number[]) => pids.reduce((a, p) => a + cpuSeconds(p), 0);
  const c0 = sum(servers);
  const o0 = cpuSeconds(origin);
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, (SECONDS - RAMP_S - 3) * 1000));
  const secs = (performance.now() - t0) / 1000;
  const serverCpu = (sum(servers) - c0) / secs;
  const originCpu = (cpuSeconds(origin) - o0) / secs;
  const report = await crowd;
  const probed = await probe;
  if (!report) throw new Error(`the load generator for ${n} listeners printed no report`);
  const whole = sum(servers) - whole0;
  const wholeSecs = (performance.now() - wholeT0) / 1000;
  const cpuUsPerRequest = report.requests > 0 ? (whole / report.requests) * 1e6 : 0;
  // Only the origin carries an idle cost; nginx's own pids do not include it.
  const idle = servers.includes(origin) ? idleCores * wholeSecs : 0;
  const netUsPerRequest = report.requests > 0 ? ((whole - idle) / report.requests) * 1e6 : 0;
  return {
    n,
    report,
    ...(probed ? { probe: probed } : {}),
    serverCpu,
    originCpu,
    cpuUsPerRequest,
    netUsPerRequest,
  };
}

const delayRow = (label: string, s: Step): string[] => [
  label,
  fmt(s.n),
  String(s.report.partDelayMs.p50),
  String(s.report.partDelayMs.p95),
  String(s.report.partDelayMs.p99),
  String(s.report.stalls),
  s.probe ? `${s.probe.partDelayMs.p50} / ${s.probe.partDelayMs.p95} / ${s.probe.partDelayMs.p99}` : '-',
];

const clean = (s: Step) =>
  s.report.listenersConnected === s.n &&
  Object.keys(s.report.errors).length === 0 &&
  s.report.stallRate < STALL_LIMIT;

async function stepUp(url: string, servers: number[], origin: number): Promise<Step[]> {
  const out: Step[] = [];
  for (const n of STEPS) {
    const s = await step(url, n, servers, origin);
    out.push(s);
    console.log(
      `  ${n} listeners: stall ${(s.report.stallRate * 100).toFixed(3)} %, errors ${JSON.stringify(s.report.errors)}, server CPU ${fmt(s.serverCpu * 100)} %, generator ${s.report.generatorCpuCores} cores`,
    );
    if (!clean(s)) break;
  }
  return out;
}

function nginxPids(port: number): number[] {
  const out = execFileSync('ss', ['-ltnpH', `sport = :${port}`], { encoding: 'utf8' });
  const pids = [...out.matchAll(/pid=(\d+)/g)].map((m) => Number(m[1]));
  // Workers inherit the listening socket; the master holds it too.
  return [...new Set(pids)];
}

// --- origin alone, 0.5 s parts
const origin = await startOrigin(500);
const rows: string[][] = [
  [
    'LL-HLS listeners, 0.5 s parts',
    'best clean N',
    'server CPU',
    'per full core*',
    'CPU µs/req',
    'delay p50/p99 ms',
    'req/s',
    'B/s per listener',
  ],
];
let originPerCore = 0;
let nginxPerCore = 0;
/** Every step of each 0.5 s series, clean or not: CPU per request is compared at the same N. */
let originSteps: Step[] = [];
let nginxSteps: Step[] = [];
/** The origin's own CPU with its space live and nobody listening (its frames; not its stage worker), cores. */
let idleCores = 0;
/** The interleaved pairs at the top step: [origin, nginx]. */
const pairs: (readonly [Step, Step])[] = [];
const delays: string[][] = [
  [
    'part delivery delay (published → received)',
    'N',
    'p50 ms',
    'p95 ms',
    'p99 ms',
    'stalls',
    `one listener apart (probe of ${PROBE_LISTENERS}): p50 / p95 / p99 ms`,
  ],
];
try {
  const space = await liveSpace(origin, 440);
  const idle = await idleCpu(origin.pid);
  idleCores = idle.node;
  if (SERIES.has('origin')) {
    console.log(
      `origin, pinned to core 0 (idle with its space live: ${fmt(idleCores * 100, 1)} % of a core; its stage worker, apart: ${fmt(idle.stage * 100, 1)} %):`,
    );
    originSteps = await stepUp(
      `http://127.0.0.1:${origin.port}/live/${space}/index.m3u8`,
      [origin.pid],
      origin.pid,
    );
    const best = [...originSteps].reverse().find(clean);
    if (best) {
      originPerCore = best.n / best.serverCpu;
      const r = best.report;
      rows.push([
        'Rostra origin (node, 1 core)',
        fmt(best.n),
        `${fmt(best.serverCpu * 100)} %`,
        fmt(originPerCore),
        fmt(best.cpuUsPerRequest, 1),
        `${r.partDelayMs.p50} / ${r.partDelayMs.p99}`,
        fmt(r.requestsPerSecond),
        fmt(r.bytesPerSecondPerListener),
      ]);
    }
    delays.push(delayRow('0.5 s parts, origin', originSteps[0] as Step));
    const last = originSteps.at(-1) as Step;
    if (last !== originSteps[0])
      delays.push(delayRow(`0.5 s parts, origin${clean(last) ? '' : ' (NOT clean)'}`, last));
  }

  // --- nginx edge in front of the same origin
  if (SERIES.has('nginx')) {
    const edge = await EdgeNginx.start({ originPort: origin.port, secret });
    try {
      const pids = nginxPids(edge.port);
      if (taskset)
        for (const pid of pids) execFileSync('taskset', ['-pc', '0', String(pid)], { stdio: 'ignore' });
      console.log(`nginx edge (pids ${pids.join(', ')}), pinned to core 0:`);
      nginxSteps = await stepUp(`http://127.0.0.1:${edge.port}/live/${space}/index.m3u8`, pids, origin.pid);
      const ebest = [...nginxSteps].reverse().find(clean);
      if (ebest) {
        nginxPerCore = ebest.n / ebest.serverCpu;
        const r = ebest.report;
        rows.push([
          'reference: nginx edge (1 worker, 1 core)',
          fmt(ebest.n),
          `${fmt(ebest.serverCpu * 100)} %`,
          fmt(nginxPerCore),
          fmt(ebest.cpuUsPerRequest, 1),
          `${r.partDelayMs.p50} / ${r.partDelayMs.p99}`,
          fmt(r.requestsPerSecond),
          fmt(r.bytesPerSecondPerListener),
        ]);
        rows.push([
          '  origin behind it (coalesced)',
          '',
          `${fmt(ebest.originCpu * 100)} %`,
          '',
          '',
          '',
          '',
          '',
        ]);
      }
      delays.push(delayRow('0.5 s parts, nginx edge', nginxSteps[0] as Step));
      const last = nginxSteps.at(-1) as Step;
      if (last !== nginxSteps[0])
        delays.push(delayRow(`0.5 s parts, nginx edge${clean(last) ? '' : ' (NOT clean)'}`, last));
      const top = STEPS.at(-1) as number;
      if (SERIES.has('origin') && PAIRS > 0) {
        console.log(`interleaved pairs at ${fmt(top)} listeners (origin, then nginx):`);
        for (let i = 0; i < PAIRS; i++) {
          const o = await step(
            `http://127.0.0.1:${origin.port}/live/${space}/index.m3u8`,
            top,
            [origin.pid],
            origin.pid,
          );
          const e = await step(
            `http://127.0.0.1:${edge.port}/live/${space}/index.m3u8`,
            top,
            pids,
            origin.pid,
          );
          pairs.push([o, e]);
          console.log(
            `  pair ${i + 1}: origin ${fmt(o.cpuUsPerRequest, 1)} µs/req (server CPU ${fmt(o.serverCpu * 100)} %, stall ${(o.report.stallRate * 100).toFixed(3)} %, probe p50/p99 ${o.probe?.partDelayMs.p50 ?? '-'} / ${o.probe?.partDelayMs.p99 ?? '-'} ms), ` +
              `nginx ${fmt(e.cpuUsPerRequest, 1)} µs/req (server CPU ${fmt(e.serverCpu * 100)} %): ratio ${fmt(e.cpuUsPerRequest / o.cpuUsPerRequest, 2)} ×`,
          );
        }
      }
    } finally {
      await edge.stop();
    }
  }
} finally {
  await stopOrigin(origin);
}

// --- 0.2 s parts
if (SERIES.has('fast')) {
  const fast = await startOrigin(200);
  try {
    const space = await liveSpace(fast, 440);
    console.log('origin, 0.2 s parts, pinned to core 0:');
    const fsteps = await stepUp(
      `http://127.0.0.1:${fast.port}/live/${space}/index.m3u8`,
      [fast.pid],
      fast.pid,
    );
    const fbest = [...fsteps].reverse().find(clean);
    const shown = fbest ?? (fsteps[0] as Step);
    const r = shown.report;
    delays.push(delayRow(`0.2 s parts, origin${fbest ? '' : ' (NOT clean)'}`, fsteps[0] as Step));
    if (shown !== fsteps[0])
      delays.push(delayRow(`0.2 s parts, origin${fbest ? '' : ' (NOT clean)'}`, shown));
    rows.push([
      `Rostra origin, 0.2 s parts${fbest ? '' : ' (no clean step)'}`,
      fbest ? fmt(fbest.n) : '-',
      `${fmt(shown.serverCpu * 100)} %`,
      fbest ? fmt(fbest.n / fbest.serverCpu) : '-',
      fmt(shown.cpuUsPerRequest, 1),
      `${r.partDelayMs.p50} / ${r.partDelayMs.p99}`,
      fmt(r.requestsPerSecond),
      fmt(r.bytesPerSecondPerListener),
    ]);
  } finally {
    await stopOrigin(fast);
  }
}

console.log('');
printTable(rows);
console.log(
  `\n* listeners ÷ measured server CPU share, with stall rate < ${STALL_LIMIT * 100} % (linear extrapolation when the generator saturated first).` +
    `\nCPU µs/req: the server's CPU time (/proc/<pid>/stat utime + stime, pinned with taskset) over the requests it answered in the whole step: measured, not extrapolated.`,
);
if (originPerCore > 0 && nginxPerCore > 0)
  console.log(`Rostra origin ÷ nginx, listeners per core: ${fmt(originPerCore / nginxPerCore, 2)} ×`);

// CPU per request at the same N in both series: the figure that does not depend on which process
// saturates first. The origin's idle cost (its live space's frames, measured before the
// steps) is shown apart, since nginx carries none.
const common = originSteps
  .map((o) => [o, nginxSteps.find((e) => e.n === o.n)] as const)
  .filter((p): p is readonly [Step, Step] => p[1] !== undefined && p[0].report.requests > 0)
  .at(-1);
if (common) {
  const [o, e] = common;
  const net = o.netUsPerRequest;
  console.log(
    `\nCPU µs per request at ${fmt(o.n)} listeners (0.5 s parts): Rostra ${fmt(o.cpuUsPerRequest, 1)} µs ` +
      `(${fmt(net, 1)} µs without its idle ${fmt(idleCores * 100, 1)} % of a core for the space's frames) ` +
      `vs nginx ${fmt(e.cpuUsPerRequest, 1)} µs; ratio nginx ÷ Rostra ${fmt(e.cpuUsPerRequest / o.cpuUsPerRequest, 2)} × ` +
      `(${fmt(e.cpuUsPerRequest / net, 2)} × without the idle cost)` +
      (clean(o) && clean(e) ? '' : ' (a step was not clean: stalls on a loaded machine)'),
  );
  writeSummary([
    ...(originPerCore > 0 && nginxPerCore > 0
      ? [
          {
            measure: 'LL-HLS listeners per origin core (0.5 s parts, stalls < 0.1 %)',
            value: fmt(originPerCore),
            reference: `nginx edge ${fmt(nginxPerCore)} per core`,
            ratio: `${fmt(originPerCore / nginxPerCore, 2)} ×`,
          },
        ]
      : []),
    {
      // Measured, not extrapolated: the server's CPU time (utime + stime) over requests answered.
      measure: `LL-HLS server CPU per request answered (0.5 s parts, ${fmt(o.n)} listeners)`,
      value: `${fmt(o.cpuUsPerRequest, 1)} µs`,
      reference: `nginx edge ${fmt(e.cpuUsPerRequest, 1)} µs`,
      ratio: `${fmt(e.cpuUsPerRequest / o.cpuUsPerRequest, 2)} ×`,
    },
    ...(o.probe && e.probe
      ? [
          {
            measure: `part delivery delay p50 / p99, one listener beside ${fmt(o.n)} (0.5 s parts, origin)`,
            value: `${o.probe.partDelayMs.p50} / ${o.probe.partDelayMs.p99} ms`,
            reference: `nginx edge ${e.probe.partDelayMs.p50} / ${e.probe.partDelayMs.p99} ms`,
            ratio: '',
          },
        ]
      : []),
  ]);
}
if (pairs.length > 0) {
  const mid = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)] as number;
  };
  const n = (pairs[0] as readonly [Step, Step])[0].n;
  const originUs = mid(pairs.map(([o]) => o.cpuUsPerRequest));
  const nginxUs = mid(pairs.map(([, e]) => e.cpuUsPerRequest));
  const ratio = mid(pairs.map(([o, e]) => e.cpuUsPerRequest / o.cpuUsPerRequest));
  // Net of the origin's idle cost (its space's frames, measured before the steps with
  // nobody listening): a cost per space, not per listener, which an nginx edge never carries.
  const originNetUs = mid(pairs.map(([o]) => o.netUsPerRequest));
  const netRatio = mid(pairs.map(([o, e]) => e.cpuUsPerRequest / o.netUsPerRequest));
  const probeP50 = mid(pairs.map(([o]) => o.probe?.partDelayMs.p50 ?? NaN));
  const probeP99 = mid(pairs.map(([o]) => o.probe?.partDelayMs.p99 ?? NaN));
  console.log(
    `\nInterleaved pairs at ${fmt(n)} listeners, median of ${pairs.length}: Rostra ${fmt(originUs, 1)} µs per request vs nginx ${fmt(nginxUs, 1)} µs; ` +
      `median of the pairs' ratios nginx ÷ Rostra ${fmt(ratio, 2)} × (listeners per core in the same ratio: the crowd asks the same of both); ` +
      `net of the origin's idle ${fmt(idleCores * 100, 1)} % of a core (its space's frames): ${fmt(originNetUs, 1)} µs, ratio ${fmt(netRatio, 2)} ×; ` +
      `one listener apart beside the origin's crowd, median p50 / p99 ${probeP50} / ${probeP99} ms`,
  );
  writeSummary([
    {
      measure: `LL-HLS CPU per request, ${fmt(n)} listeners, median of ${pairs.length} interleaved pairs (= listeners per core ratio)`,
      value: `${fmt(originUs, 1)} µs`,
      reference: `nginx edge ${fmt(nginxUs, 1)} µs`,
      ratio: `${fmt(ratio, 2)} ×`,
    },
    {
      measure: `the same, net of the origin's idle cost (its space's frames: ${fmt(idleCores * 100, 1)} % of a core)`,
      value: `${fmt(originNetUs, 1)} µs`,
      reference: `nginx edge ${fmt(nginxUs, 1)} µs`,
      ratio: `${fmt(netRatio, 2)} ×`,
    },
    {
      measure: `part delivery delay p50 / p99, one listener beside ${fmt(n)} on the origin, median of ${pairs.length} pairs`,
      value: `${probeP50} / ${probeP99} ms`,
      reference: 'goal ≤ 100 / 250 ms',
      ratio: '',
    },
  ]);
}
console.log('');
printTable(delays);
console.log(
  "\n(part delivery delay, not glass-to-glass: it starts at the part's publish time, PDT + offset + duration)",
);
console.log(`\n${SECONDS} s per step (${RAMP_S} s ramp), generator = one Node process on core 1.`);
