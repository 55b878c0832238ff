/**
 * The stage under an audience: speaker → server → speaker delay, and how much of each speaker's own voice
 * comes back in their return feed, while N LL-HLS listeners load the same node.
 *
 * One `rostra serve` origin pinned to core 0 per stage engine measured (`--stage-engine worker`:
 * the stage in a worker process, which inherits the pin, so it shares core 0 with HTTP; `inline`, the default: in
 * the node's own event loop, as before). Two bot speakers in this process talk all the time: the host at
 * 440 Hz with a 1 kHz pulse every 470 ms, the other at 660 Hz. The listener generator (src/loadtest, no
 * decoding) is its own process pinned to core 1, as in bench/listeners.bench.ts. The origin's CPU column
 * counts the node process only, not its stage worker.
 * - stage delay: when each pulse left the host's bot → when the other bot heard its onset (one clock).
 * - own voice: every 200 ms, the level of a bot's own tone in what the server sends it, in dB relative to
 *   the other speaker's tone (Goertzel over the last 200 ms; −∞ when nothing of it is above −120 dBFS).
 *
 * Run: npm run bench -- stage       (LISTENERS=0,1000,2000 SECONDS=15 ENGINES=worker,inline to change the
 * defaults)
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SpeakerBot } from '../src/bot/index.js';
import type { LoadTestReport } from '../src/loadtest/index.js';
import { freePort } from '../src/testing/ServeProcess.js';
import { fmt, pin, printTable, serveCommand } from './lib.js';
import { writeSummary } from './summary.js';

const LISTENERS = (process.env.LISTENERS ?? '0,1000,2000').split(',').map(Number);
const SECONDS = Number(process.env.SECONDS ?? 15);
const ENGINES = (process.env.ENGINES ?? 'worker,inline').split(',') as ('worker' | 'inline')[];
const RAMP_S = 2;
const PULSE_EVERY_MS = 470;
const root = fileURLToPath(new URL('..', import.meta.url));
const secret = randomBytes(24).toString('hex');

const cpuSeconds = (pid: number): number => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(f[11]) + Number(f[12])) / 100;
};
const percentile = (xs: readonly number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? Number.NaN;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function api<T>(port: number, path: string, token?: string, body?: unknown): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body ?? {}),
  });
  if (res.status >= 300) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (res.status === 204 ? {} : await res.json()) as T;
}

interface Levels {
  own: number;
  other: number;
  /** 550 Hz, which nobody plays: what clicks and concealment alone put near the tones. */
  unplayed: number;
}

/** A bot's own tone, the other speaker's and an unplayed one in its last 200 ms of return feed, dBFS. */
function levels(b: SpeakerBot, own: number, other: number): Levels {
  const heard = b.report().heard;
  const level = (hz: number) => heard.find((t) => t.frequencyHz === hz)?.levelDbfs ?? -Infinity;
  return { own: level(own), other: level(other), unplayed: level(550) };
}

/** Own tone per window relative to the other speaker's median level in the phase (a dip in the other's
 *  level must not read as a leak). */
function relative(samples: readonly Levels[], which: 'own' | 'unplayed'): number[] {
  const other = percentile(
    samples.map((s) => s.other),
    50,
  );
  return samples.map((s) => s[which] - other);
}

interface Row {
  engine: string;
  n: number;
  connected: number;
  delays: number[];
  own: number[];
  unplayed: number[];
  originCpu: number;
  stalls: number;
  load: number;
}

/** One origin with `engine`: its space, two bots, and every listener count in turn. */
async function measureEngine(engine: 'worker' | 'inline'): Promise<Row[]> {
  // --- the origin
  const port = await freePort();
  const data = mkdtempSync(join(tmpdir(), 'rostra-bench-stage-'));
  const [exe, ...args] = [...serveCommand(port, data), '--stage-engine', engine] as string[] as [
    string,
    ...string[],
  ];
  const origin = spawn(exe, args, {
    cwd: root,
    env: { ...process.env, ROSTRA_LOG_LEVEL: 'silent', ROSTRA_SECRET: secret },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  // Should anything below throw, the origin must not outlive the bench.
  process.once('exit', () => {
    if (origin.exitCode === null) origin.kill('SIGTERM');
  });
  for (let i = 0; ; i++) {
    try {
      await fetch(`http://127.0.0.1:${port}/healthz`);
      break;
    } catch {
      if (i > 900) throw new Error('rostra serve did not start');
      await sleep(100);
    }
  }

  type Signed = { token: string; user: { id: string } };
  const signup = (handle: string) =>
    api<Signed>(port, '/api/v1/auth/signup', undefined, {
      handle,
      password: 'bench password',
      displayName: handle,
    });
  const host = await signup('bench_host');
  const guest = await signup('bench_guest');
  const { id: spaceId } = await api<{ id: string }>(port, '/api/v1/spaces', host.token, {
    title: 'Stage bench',
  });
  await api(port, `/api/v1/spaces/${spaceId}/users/${guest.user.id}/invite`, host.token);
  await api(port, `/api/v1/spaces/${spaceId}/invitation`, guest.token, { accept: true });
  await api(port, `/api/v1/spaces/${spaceId}/users/${guest.user.id}/unmute`, guest.token);

  const whipUrl = `http://127.0.0.1:${port}/api/v1/spaces/${spaceId}/whip`;
  const bot = (token: string, frequencyHz: number, pulse: boolean) =>
    new SpeakerBot({
      whipUrl,
      token,
      audio: {
        kind: 'tone',
        frequencyHz,
        levelDbfs: -18,
        ...(pulse ? { pulse: { everyMs: PULSE_EVERY_MS, durationMs: 10 } } : {}),
      },
      listenHz: [440, 550, 660],
      listenThresholdDbfs: -120,
      connectTimeoutMs: 30_000,
    });
  const emitter = bot(host.token, 440, true);
  const hearer = bot(guest.token, 660, false);
  await emitter.start();
  await hearer.start();
  await sleep(2000);

  async function phase(n: number): Promise<Row> {
    let generator: Promise<LoadTestReport | undefined> = Promise.resolve(undefined);
    if (n > 0) {
      const script = `const { loadtest } = await import(${JSON.stringify(join(root, 'src/cli/loadtest.ts'))}); process.exitCode = await loadtest(process.argv.slice(1));`;
      const [gexe, ...gargs] = pin(1, [
        process.execPath,
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        script,
        `http://127.0.0.1:${port}/live/${spaceId}/index.m3u8`,
        '--listeners',
        String(n),
        '--ramp',
        String(RAMP_S),
        '--duration',
        String(SECONDS),
        '--json',
      ]) as [string, ...string[]];
      const child = spawn(gexe, gargs, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      generator = new Promise((resolve) =>
        child.once('exit', () => {
          const last = out.trim().split('\n').pop() ?? '';
          try {
            resolve(JSON.parse(last) as LoadTestReport);
          } catch {
            resolve(undefined);
          }
        }),
      );
      // tsx start-up (~1 s) and the ramp, before the window.
      await sleep((RAMP_S + 2.5) * 1000);
    }
    const windowS = n > 0 ? SECONDS - RAMP_S - 3 : SECONDS - 3;
    const from = performance.now();
    const cpu0 = cpuSeconds(origin.pid as number);
    const heardByHearer: Levels[] = [];
    const heardByEmitter: Levels[] = [];
    while (performance.now() - from < windowS * 1000) {
      await sleep(200);
      heardByHearer.push(levels(hearer, 660, 440));
      heardByEmitter.push(levels(emitter, 440, 660));
    }
    const own = [...relative(heardByHearer, 'own'), ...relative(heardByEmitter, 'own')];
    const unplayed = [...relative(heardByHearer, 'unplayed'), ...relative(heardByEmitter, 'unplayed')];
    const to = performance.now();
    const originCpu = (cpuSeconds(origin.pid as number) - cpu0) / ((to - from) / 1000);
    const sent = emitter.report().pulsesSent;
    const delays = hearer
      .report()
      .pulsesHeard.filter((at) => at >= from && at <= to)
      .map((at) => at - Math.max(...sent.filter((t) => t <= at)))
      .filter((d) => Number.isFinite(d) && d >= 0 && d < PULSE_EVERY_MS);
    const report = await generator;
    return {
      engine,
      n,
      connected: report?.listenersConnected ?? 0,
      delays,
      own,
      unplayed,
      originCpu,
      stalls: report?.stalls ?? 0,
      load: loadavg()[0] ?? 0,
    };
  }

  const results: Row[] = [];
  try {
    for (const n of LISTENERS) {
      const r = await phase(n);
      results.push(r);
      console.log(
        `  ${engine}, ${n} listeners: ${r.delays.length} pulses, stage delay p50 ${fmt(percentile(r.delays, 50))} ms, p99 ${fmt(percentile(r.delays, 99))} ms, origin CPU ${fmt(r.originCpu * 100)} %, load ${r.load.toFixed(1)}`,
      );
      await sleep(1000);
    }
  } finally {
    await emitter.stop();
    await hearer.stop();
    const exited = new Promise((r) => origin.once('exit', r));
    origin.kill('SIGTERM');
    await exited;
    rmSync(data, { recursive: true, force: true });
  }
  return results;
}

const results: Row[] = [];
for (const engine of ENGINES) results.push(...(await measureEngine(engine)));

const db = (x: number) => (Number.isFinite(x) ? `${fmt(x, 1)} dB` : '−∞');
console.log('');
printTable([
  [
    'stage engine',
    'LL-HLS listeners on the node',
    'connected',
    'pulses',
    'stage p50 ms',
    'stage p99 ms',
    'own voice, worst',
    'own voice, median',
    'unplayed 550 Hz, worst',
    'origin CPU',
    'load avg',
  ],
  ...results.map((r) => [
    r.engine,
    fmt(r.n),
    fmt(r.connected),
    fmt(r.delays.length),
    fmt(percentile(r.delays, 50)),
    fmt(percentile(r.delays, 99)),
    db(Math.max(...r.own)),
    db(percentile(r.own, 50)),
    db(Math.max(...r.unplayed)),
    `${fmt(r.originCpu * 100)} %`,
    r.load.toFixed(1),
  ]),
]);
console.log(
  `\nown voice: a speaker's own tone in their return feed (200 ms windows, both bots), relative to the other speaker's median level; the unplayed tone is the same measure at a frequency nobody sends (glitches, not a leak). ${SECONDS} s per row.`,
);
const idleOf = (engine: string) => results.find((r) => r.n === 0 && r.engine === engine);
writeSummary(
  results
    .filter((r) => r.n > 0)
    .map((r) => ({ r, idle: idleOf(r.engine) }))
    .map(({ r, idle }) => ({
      measure: `speaker ↔ speaker delay p50 / p99, ${fmt(r.n)} listeners on the node (${r.engine} stage); own voice worst`,
      value: `${fmt(percentile(r.delays, 50))} / ${fmt(percentile(r.delays, 99))} ms; ${db(Math.max(...r.own))}`,
      reference: idle
        ? `no listeners ${fmt(percentile(idle.delays, 50))} / ${fmt(percentile(idle.delays, 99))} ms`
        : '',
      ratio: idle ? `${fmt(percentile(r.delays, 99) / percentile(idle.delays, 99), 1)} ×` : '',
    })),
);
