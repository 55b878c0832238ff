/**
 * The stage under an audience: speaker → server → speaker delay, and how much of each speaker's own voice
 * comes back in their return feed, while N LL-HLS listeners load the same node.
 *
 * Cores (2 on the bench machine). The node's HTTP process is pinned to core 0 (`taskset`, as every bench
 * pins the origin it measures); its stage worker (`--stage-engine worker`, the default) is then unpinned
 * to every core (`taskset -a -p` on each of its threads once it exists: it would inherit core 0 from the
 * node). That is how it runs in production, where nobody pins anything and the OS puts the worker on
 * whichever core is free, and it is the point of the worker: listener traffic saturating the node's
 * core must not delay the stage. Pinned to the node's core instead, the worker competes with HTTP for
 * one core, which no deployment does (STAGE_WORKER_CORE=0 measures that; =1 pins it to the generator's
 * core). The listener generator (src/loadtest, no decoding) is its own process pinned to core 1, as in
 * bench/listeners.bench.ts; the bots run in this process, unpinned. `--stage-engine inline` (the engine
 * before the worker, kept for comparison: ENGINES=worker,inline) has no worker: the stage is on core 0.
 *
 * Signals: the host's bot plays 400 Hz with a 10 ms 2 kHz pulse every second; the guest's bot 1 kHz with
 * a 3 kHz pulse every second. Both pause for 200 ms every 4 s, as a voice pauses between phrases: the
 * stage's jitter buffers drain standing delay at pauses (src/audio/JitterBuffer.ts), and a tone that
 * never paused kept the standing delay of any burst of its packets for the rest of the run. Every frequency is a multiple of 50 Hz (whole cycles in a 20 ms frame) and
 * the tones are ≥ 600 Hz from each other and from the pulses.
 * - stage delay: when a pulse left one bot → when the other bot heard its onset, on one clock, in both
 *   directions (host → guest and guest → host), so a 55 s row holds ~110 pulses. The pulse period bounds
 *   what can be told apart: a delay ≥ 1 s would read as a shorter one. With 470 ms pulses (before 30
 *   Nov) a ~485 ms stage delay at 1,000 listeners read as 14 ms: PULSE_MS=1100 showed it.
 * - own voice: every 20 ms frame a bot receives, a Hann-windowed Goertzel at its own tone and at the
 *   other speaker's tone (exact bins: no leakage between them). Frames within one frame of a pulse of the
 *   other speaker are left out (a pulse's switching clicks are broadband: not a leak); frames where the
 *   other speaker's tone is below −40 dBFS (it plays at −18) are "no reference": the ratio would mean
 *   nothing; frames with a broadband glitch are "too noisy" (see ownVoice). The column is the worst frame
 *   of the row, own tone − other tone, over both bots. The same measure at 700 Hz, which nobody plays,
 *   is a control (glitches, codec noise). The old measure (200 ms windows, a 1 kHz pulse beside a 660 Hz
 *   tone) read −25 dB on a clean feed: the pulse's clicks, not a leak.
 *   Validated: on synthetic feeds through Opus at 32 kbps (the mix-minus encoder), with the 200 ms
 *   pauses, a clean feed reads −48.9 dB worst (the codec's floor in a 20 ms bin), a steady leak at −40 /
 *   −20 / 0 dB reads −39.3 / −19.7 / +0.3 dB, one leaked frame in 50 at −30 dB reads −31.8 (frames beside
 *   a pause of the other speaker count as "no reference": they over-read a leak by ~3 dB). On the real stage, OWN_VOICE_CHECK=total
 *   measures a third bot, on stage but muted, instead: its feed is the whole mix, holding both tones, and
 *   reads 0.0 dB median, +0.6 dB worst (30 Nov); the real mix-minus reads −47 to −49 dB worst.
 * The tone plan, the frame tap and both measures are in bench/stageSignals.ts, shared with the flood
 * bench's stage probe.
 * The rows share one origin and its stage, in order, as on a real stage. A stall of the worker (or of a
 * bot) sends a burst of packets that queues in the jitter buffers until the next pause (≤ 4 s here).
 * Until 30 Nov the bots read their tone sequentially while their RTP timestamps skipped a stall's
 * frames: every later pulse played that much later than its recorded send time (a phantom 200–900 ms).
 * They now read the tone at the RTP timestamp's sample (PcmSource.read).
 *
 * Run: npm run bench -- stage      (LISTENERS=0,1000,2000 SECONDS=55 per row, PULSE_MS=1000, ENGINES=worker,
 * STAGE_WORKER_CORE=any|0|1, OWN_VOICE_CHECK=total to change the defaults)
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, getPriority, loadavg, setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { SpeakerBot } from '../src/bot/index.js';
import type { LoadTestReport } from '../src/loadtest/index.js';
import { freePort } from '../src/testing/ServeProcess.js';
import { fmt, percentile, pin, printTable, serveCommand } from './lib.js';
import {
  FrameTap,
  GUEST,
  HOST,
  NOISY_DB,
  REFERENCE_FLOOR_DBFS,
  TONAL_DB,
  UNPLAYED_HZ,
  merge,
  ownVoice,
  ownVoiceCells,
  pulseDelays,
  speakerSignal,
  worstText,
  type OwnVoice,
} from './stageSignals.js';
import { writeSummary } from './summary.js';

const LISTENERS = (process.env.LISTENERS ?? '0,1000,2000').split(',').map(Number);
/** The measured window of each row. */
const WINDOW_S = Number(process.env.SECONDS ?? 55);
const ENGINES = (process.env.ENGINES ?? 'worker').split(',') as ('worker' | 'inline')[];
const WORKER_CORE = process.env.STAGE_WORKER_CORE ?? 'any';
const CHECK_TOTAL = process.env.OWN_VOICE_CHECK === 'total';
const RAMP_S = 2;
/** Generator start-up (tsx, ~1 s) and ramp, before a row's window opens. */
const SETTLE_S = RAMP_S + 3;
const PULSE_EVERY_MS = Number(process.env.PULSE_MS ?? 1000);
const MUTED_HZ = 1600; // the check bot's tone: never in anyone's feed, it is muted
const root = fileURLToPath(new URL('..', import.meta.url));
const secret = randomBytes(24).toString('hex');

const cpuSeconds = (pid: number): number => {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return Number.NaN; // gone
  }
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The node's stage worker: its child process running StageWorkerProcess. */
function stageWorkerPid(nodePid: number): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const ppid = Number(readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]?.split(' ')[1]);
      if (ppid !== nodePid) continue;
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes('StageWorkerProcess')) return Number(entry);
    } catch {
      // a process that ended while we looked
    }
  }
  return undefined;
}

/** Sets the worker's cores, every thread (`-a`: taskset -p alone changes the main thread only). */
function placeWorker(pid: number): string {
  const cores = WORKER_CORE === 'any' ? `0-${cpus().length - 1}` : WORKER_CORE;
  const r = spawnSync('taskset', ['-a', '-p', '-c', cores, String(pid)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`taskset on the stage worker failed: ${r.stderr || r.error?.message}`);
  const allowed = /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return allowed ?? '?';
}

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

interface Row {
  engine: string;
  n: number;
  connected: number;
  delays: number[];
  voice: OwnVoice;
  originCpu: number;
  workerCpu: number;
  stalls: number;
  load: number;
  /** This process's event-loop delay p99 (where the bots time their packets), ms. */
  benchLoopP99: number;
}

/** A row before its own-voice analysis, which runs after the last row (see `phase`). */
type Measured = Omit<Row, 'voice'> & { voice: () => OwnVoice };

/** One origin with `engine`: its space, the bots, and every listener count in turn. */
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
  const invite = async (user: Signed) => {
    await api(port, `/api/v1/spaces/${spaceId}/users/${user.user.id}/invite`, host.token);
    await api(port, `/api/v1/spaces/${spaceId}/invitation`, user.token, { accept: true });
  };
  await invite(guest);
  await api(port, `/api/v1/spaces/${spaceId}/users/${guest.user.id}/unmute`, guest.token);

  const whipUrl = `http://127.0.0.1:${port}/api/v1/spaces/${spaceId}/whip`;
  const bot = (token: string, toneHz: number, pulse?: { sendHz: number; hearHz: number }) =>
    new SpeakerBot({
      whipUrl,
      token,
      ...speakerSignal(toneHz, PULSE_EVERY_MS, pulse),
      connectTimeoutMs: 30_000,
    });
  const hostBot = bot(host.token, HOST.toneHz, { sendHz: HOST.pulseHz, hearHz: GUEST.pulseHz });
  const guestBot = bot(guest.token, GUEST.toneHz, { sendHz: GUEST.pulseHz, hearHz: HOST.pulseHz });
  const hostTap = FrameTap.claim(hostBot);
  const guestTap = FrameTap.claim(guestBot);
  await hostBot.start();
  await guestBot.start();
  // The self-check: a third bot on stage, never unmuted, so its feed is the whole mix.
  let mutedBot: SpeakerBot | undefined;
  let mutedTap: FrameTap | undefined;
  if (CHECK_TOTAL) {
    const third = await signup('bench_muted');
    await invite(third);
    mutedBot = bot(third.token, MUTED_HZ);
    mutedTap = FrameTap.claim(mutedBot);
    await mutedBot.start();
  }
  const originPid = origin.pid as number;
  let workerPid: number | undefined;
  if (engine === 'worker') {
    workerPid = stageWorkerPid(originPid);
    if (workerPid === undefined) throw new Error('no stage worker process under the node');
    const allowed = placeWorker(workerPid);
    console.log(`  node pid ${originPid} on core 0; stage worker pid ${workerPid} on cores ${allowed}`);
  }
  await sleep(2000);

  async function phase(n: number): Promise<Measured> {
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
        String(SETTLE_S + WINDOW_S + 1),
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
      await sleep(SETTLE_S * 1000);
    }
    const taps = [hostTap, guestTap, ...(mutedTap ? [mutedTap] : [])];
    for (const t of taps) t.start();
    const loop = monitorEventLoopDelay({ resolution: 10 });
    loop.enable();
    const from = performance.now();
    const cpu0 = cpuSeconds(originPid);
    const wcpu0 = workerPid === undefined ? 0 : cpuSeconds(workerPid);
    await sleep(WINDOW_S * 1000);
    const to = performance.now();
    const originCpu = (cpuSeconds(originPid) - cpu0) / ((to - from) / 1000);
    const workerCpu = workerPid === undefined ? 0 : (cpuSeconds(workerPid) - wcpu0) / ((to - from) / 1000);
    for (const t of taps) t.recording = false;
    loop.disable();
    const benchLoopP99 = loop.percentile(99) / 1e6;
    const load = loadavg()[0] ?? 0;
    const report = await generator;
    // Each bot's feed, seen from its own tone; with the self-check, the muted bot's feed seen from each.
    // Analysed after the last row, once the bots have stopped: ~250 ms of Goertzels on this event loop
    // between rows stalled the bots' senders, and a sender's stall is a burst the stage's jitter buffers
    // hold as standing delay for as long as the tones never pause (it read as +70 ms in every later row).
    const [hostFrames, guestFrames, mutedFrames] = [hostTap.frames, guestTap.frames, mutedTap?.frames];
    const voice = () =>
      mutedFrames
        ? merge(
            ownVoice(mutedFrames, HOST.toneHz, GUEST.toneHz, GUEST.pulseHz),
            ownVoice(mutedFrames, GUEST.toneHz, HOST.toneHz, HOST.pulseHz),
          )
        : merge(
            ownVoice(hostFrames, HOST.toneHz, GUEST.toneHz, GUEST.pulseHz),
            ownVoice(guestFrames, GUEST.toneHz, HOST.toneHz, HOST.pulseHz),
          );
    return {
      engine,
      n,
      connected: report?.listenersConnected ?? 0,
      delays: [
        ...pulseDelays(hostBot, guestBot, from, to, PULSE_EVERY_MS),
        ...pulseDelays(guestBot, hostBot, from, to, PULSE_EVERY_MS),
      ],
      voice,
      originCpu,
      workerCpu,
      stalls: report?.stalls ?? 0,
      load,
      benchLoopP99,
    };
  }

  const rows: Measured[] = [];
  try {
    for (const n of LISTENERS) {
      const r = await phase(n);
      rows.push(r);
      console.log(
        `  ${engine}, ${n} listeners: ${r.delays.length} pulses, stage delay p50 ${fmt(percentile(r.delays, 50))} ms, p99 ${fmt(percentile(r.delays, 99))} ms, node CPU ${fmt(r.originCpu * 100)} %, worker ${fmt(r.workerCpu * 100)} %, bench loop p99 ${fmt(r.benchLoopP99)} ms, load ${r.load.toFixed(1)}`,
      );
      await sleep(1000);
    }
  } finally {
    await hostBot.stop();
    await guestBot.stop();
    await mutedBot?.stop();
    const exited = new Promise((r) => origin.once('exit', r));
    origin.kill('SIGTERM');
    await exited;
    rmSync(data, { recursive: true, force: true });
  }
  return rows.map((r) => {
    const voice = r.voice();
    console.log(
      `  ${engine}, ${r.n} listeners: own voice worst ${worstText(voice.rel)}${voice.worstFrame ? ` (own ${fmt(voice.worstFrame.own, 1)}, other ${fmt(voice.worstFrame.other, 1)}, noise ${fmt(voice.worstFrame.noise, 1)} dBFS)` : ''}`,
    );
    return { ...r, voice };
  });
}

// The bots stand for speakers on their own devices: their send timing is not the server's to answer for.
// A burst from a bot starved of CPU here sits in the stage's jitter buffers as standing delay until the
// next pause, so this process runs ahead of the node and the generator when it may (root).
let benchNice = 'unchanged (not root)';
try {
  setPriority(-10);
  benchNice = String(getPriority(0));
} catch {
  // not privileged: measured at the default priority
}
console.log(
  `stage bench: bots at nice ${benchNice}; ${WINDOW_S} s per row, load average before ${loadavg()
    .map((l) => l.toFixed(2))
    .join(
      ' ',
    )}${CHECK_TOTAL ? '; OWN_VOICE_CHECK=total: own voice measured on the muted bot’s feed (the whole mix)' : ''}`,
);
const results: Row[] = [];
for (const engine of ENGINES) results.push(...(await measureEngine(engine)));

console.log('');
printTable([
  [
    'stage engine',
    'LL-HLS listeners on the node',
    'connected',
    'pulses',
    'stage p50 ms',
    'stage p99 ms',
    'stage max ms',
    CHECK_TOTAL ? 'own voice in the total, worst' : 'own voice, worst',
    'own voice, median',
    `unplayed ${UNPLAYED_HZ} Hz, worst`,
    'frames measured / no reference / near a pulse / too noisy',
    'node CPU',
    'worker CPU',
    'load avg',
  ],
  ...results.map((r) => [
    r.engine,
    fmt(r.n),
    fmt(r.connected),
    fmt(r.delays.length),
    fmt(percentile(r.delays, 50)),
    fmt(percentile(r.delays, 99)),
    fmt(Math.max(...r.delays)),
    ...ownVoiceCells(r.voice),
    `${fmt(r.originCpu * 100)} %`,
    r.engine === 'worker' ? `${fmt(r.workerCpu * 100)} %` : '',
    r.load.toFixed(1),
  ]),
]);
console.log(
  `\nstage delay: pulses both ways between two bot speakers (${PULSE_EVERY_MS} ms apart each way). own voice: a speaker's own tone in their return feed, relative to the other speaker's tone in the same 20 ms frame (Hann Goertzel), worst frame of both bots; frames next to the other's pulse are left out, and frames where the other's tone is below ${REFERENCE_FLOOR_DBFS} dBFS are "no reference", frames whose broadband noise beside the own tone is within ${-NOISY_DB} dB of the other's tone (glitches) are "too noisy" unless the own tone stands ${TONAL_DB} dB out of it. The unplayed tone is the same measure at a frequency nobody sends: the floor of the method. Node on core 0, stage worker on ${WORKER_CORE === 'any' ? 'any core' : `core ${WORKER_CORE}`}, generator on core 1. ${WINDOW_S} s per row.`,
);
if (!CHECK_TOTAL) {
  const idleOf = (engine: string) => results.find((r) => r.n === 0 && r.engine === engine);
  writeSummary(
    results
      .filter((r) => r.n > 0)
      .map((r) => ({ r, idle: idleOf(r.engine) }))
      .map(({ r, idle }) => ({
        measure: `speaker ↔ speaker delay p50 / p99, ${fmt(r.n)} listeners on the node (${r.engine} stage); own voice worst`,
        value: `${fmt(percentile(r.delays, 50))} / ${fmt(percentile(r.delays, 99))} ms; ${worstText(r.voice.rel)}`,
        reference: idle
          ? `no listeners ${fmt(percentile(idle.delays, 50))} / ${fmt(percentile(idle.delays, 99))} ms`
          : '',
        ratio: idle ? `${fmt(percentile(r.delays, 99) / percentile(idle.delays, 99), 1)} ×` : '',
      })),
  );
}
