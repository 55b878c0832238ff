/**
 * The guard under attack, each scenario beside the same run without the attack (docs/guard.md). One
 * `rostra serve` with the default guard, pinned to core 0; attackers and real clients on core 1, each on
 * a loopback address of its own (all of 127/8 is loopback, so per-address and per-/24 limits apply).
 *   lockout   anonymous joins as fast as one core sends them (one address, then 256 addresses); a real
 *             listener tries every 5 s: admitted share, and the longest wait.
 *   flood     1 host and 1 guest speaking (bot speakers in a process of their own, on core 1) and 200
 *             simulated LL-HLS listeners; then forged tickets and junk at 10 × the crowd's request rate,
 *             500 slowloris sockets and 1,000 idle WebSockets, sent by a process of their own at low
 *             priority (the attacker is other machines; its sending must not slow the crowd's clock):
 *             stalls, part delay p99, stage delay (speaker ↔ speaker pulses, both ways) p50/p99, own
 *             voice in a speaker's return feed, RSS growth, sockets closed by deadlines. The speakers
 *             play the stage bench's tone plan and are measured the same way (bench/stageSignals.ts):
 *             per 20 ms frame, own tone − the other speaker's tone; the goal is below −40 dB, always.
 *   churn     the flood again, with every junk request on a new connection: the junk lane holds
 *             connections, so this is the flood it cannot pace (accepting one costs as much as a refusal).
 *   nat       300 listeners joining from one address within 1 s.
 *   surge     5,000 joins within 5 s from 20 networks: admitted or a clean 503 + Retry-After.
 *   signin    300 sign-ups and 1,000 failed sign-ins in 10 s; a real user signs in every second from a
 *             device it signed in from before (its cookie, as a browser keeps it) and another from a new
 *             device; a join probe every 100 ms gives the join path's p99. The server's `Server-Timing`
 *             says how long each real sign-in waited in the hashing queue (less noisy than the total).
 *
 * For the attacked run, the bench also says where its late parts were late, over the attack's start:
 * the server's own histograms (parts cut late, parts sent late), its event loop's longest delay and major
 * GCs (/metrics), and this process's event-loop stalls (the crowd's generator).
 *
 * Run: npm run bench -- flood     (FLOOD_SECONDS=60 for the full length; default 20 s per attack;
 *      FLOOD_SCENARIOS=flood,churn for some; FLOOD_CPU_PROF=<dir> profiles the server;
 *      FLOOD_SERVER_LOG=warn shows the server's log)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { SpeakerBot } from '../src/bot/index.js';
import { runLoadTest } from '../src/loadtest/index.js';
import { freePort } from '../src/testing/ServeProcess.js';
import { fmt, percentile, pin, printTable } from './lib.js';
import {
  FrameTap,
  GUEST,
  HOST,
  OWN_VOICE_GOAL_DB,
  OwnVoiceMeter,
  UNPLAYED_HZ,
  merge,
  ownVoiceCells,
  pulseDelays,
  speakerSignal,
  worstText,
  type OwnVoice,
} from './stageSignals.js';
import { writeSummary } from './summary.js';

const SECONDS = Number(process.env.FLOOD_SECONDS ?? 20);
const root = fileURLToPath(new URL('..', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Answer {
  status: number;
  retryAfter: string | undefined;
  setCookie?: string | undefined;
  serverTiming?: string | undefined;
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
            serverTiming: res.headers['server-timing'] as string | undefined,
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
    // FLOOD_CPU_PROF=<dir>: profile the server (read the attack's window only).
    ...(process.env.FLOOD_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.FLOOD_CPU_PROF] : []),
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
    env: { ...process.env, ROSTRA_LOG_LEVEL: process.env.FLOOD_SERVER_LOG ?? 'silent' },
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

/** Signs up, waiting out a refusal with Retry-After (sign-ups pause while a busy machine reads as pressure). */
async function signUp(port: number, handle: string, from: string, password = 'bench password long') {
  for (let i = 0; ; i++) {
    const up = await call(port, 'POST', '/api/v1/auth/signup', {
      body: { handle, password, displayName: handle },
      from,
    });
    if (up.status === 201) return up;
    if (up.retryAfter === undefined || i >= 20)
      throw new Error(`sign-up ${handle}: ${up.status} ${JSON.stringify(up.json)}`);
    await sleep(Number(up.retryAfter) * 1000);
  }
}

let seq = 0;
async function space(port: number): Promise<{ id: string; token: string }> {
  const handle = `flood${++seq}${Date.now().toString(36)}`.slice(0, 15);
  const from = `127.9.${seq}.1`;
  const up = await signUp(port, handle, from);
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
      tally(statuses, a.status);
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

/** One more answer of `status`. */
function tally(statuses: Map<number, number>, status: number): void {
  statuses.set(status, (statuses.get(status) ?? 0) + 1);
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

/** The server's resident set and where it is (V8's heap, memory held outside it), in MB. */
interface MemoryMb {
  rss: number;
  heap: number;
  heapUsed: number;
  external: number;
}

function scrapeMetrics(port: number): Promise<string> {
  return new Promise<string>((resolve) => {
    request({ host: '127.0.0.1', port, path: '/metrics' }, (res) => {
      const c: Buffer[] = [];
      res.on('data', (d: Buffer) => c.push(d));
      res.on('end', () => resolve(Buffer.concat(c).toString()));
    })
      .on('error', () => resolve(''))
      .end();
  });
}

/** A Prometheus sample's value in a scrape (NaN when absent). */
function sample(text: string, series: string): number {
  const escaped = series.replace(/[{}".+]/g, (c) => `\\${c}`);
  const m = new RegExp(`^${escaped} (\\S+)`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

async function memoryMb(port: number): Promise<MemoryMb> {
  const text = await scrapeMetrics(port);
  const read = (name: string) => sample(text, `rostra_${name}`) / 1e6;
  return {
    rss: read('process_resident_memory_bytes'),
    heap: read('nodejs_heap_size_total_bytes'),
    heapUsed: read('nodejs_heap_size_used_bytes'),
    external: read('nodejs_external_memory_bytes'),
  };
}

/**
 * Where the onset's late parts were late: the server's own histograms over a window (parts cut late by
 * the packager; parts sent late to a listener, counted when the server writes them) and this process's
 * event-loop stalls (the crowd's generator: a late arrival it only noticed late is not the server's).
 */
class OnsetWitness {
  readonly #port: number;
  #before = '';
  #stalls: number[] = []; // how late this process's loop was, each time it was (ms)
  #timer: NodeJS.Timeout | undefined;

  constructor(port: number) {
    this.#port = port;
  }

  async start(): Promise<void> {
    this.#before = await scrapeMetrics(this.#port);
    let expected = performance.now() + 10;
    this.#timer = setInterval(() => {
      const now = performance.now();
      if (now - expected > 20) this.#stalls.push(now - expected);
      expected = now + 10;
    }, 10);
  }

  /** The window's figures, as one line. */
  async read(lateMs: number): Promise<string> {
    clearInterval(this.#timer);
    const after = await scrapeMetrics(this.#port);
    // A labelled series appears at its first observation (no major GC yet: none): absent counts as 0.
    const at = (text: string, series: string) => sample(text, series) || 0;
    const delta = (series: string) => at(after, series) - at(this.#before, series);
    const over = (name: string, le: string) => delta(`${name}_count`) - delta(`${name}_bucket{le="${le}"}`);
    const sent = delta('rostra_hls_part_delay_seconds_count');
    const longest = Math.max(0, ...this.#stalls);
    const stalled = this.#stalls.reduce((a, ms) => a + ms, 0);
    // prom-client resets the loop-delay histogram at each scrape: its max is this window's.
    const loopMax = sample(after, 'rostra_nodejs_eventloop_lag_max_seconds') * 1000;
    const major = 'rostra_nodejs_gc_duration_seconds_{kind="major"}';
    return (
      `server: parts cut > 100 ms late ${fmt(over('rostra_hls_packaging_lag_seconds', '0.1'))}, ` +
      `parts sent > 100 / > 250 ms after publish ${fmt(over('rostra_hls_part_delay_seconds', '0.1'))} / ` +
      `${fmt(over('rostra_hls_part_delay_seconds', '0.25'))} of ${fmt(sent)}, event loop late up to ` +
      `${fmt(loopMax)} ms, major GCs ${fmt(delta(major.replace('_{', '_count{')))} ` +
      `(${fmt(delta(major.replace('_{', '_sum{')) * 1000)} ms); crowd generator: loop late > 20 ms ` +
      `${this.#stalls.length} times, longest ${fmt(longest)} ms, ${fmt(stalled)} ms in all ` +
      `(late parts here: > ${fmt(lateMs)} ms)`
    );
  }
}

// --- the stage during the flood: two bot speakers in a process of their own (this file, run with
// FLOOD_STAGE_PROBE), pinned to core 1 away from the server, so the bench's own load does not delay them.
/** A pulse a second: a delay is read modulo this period, so it must be longer than any delay to be read. */
const PULSE_EVERY_MS = 1000;

interface StageProbe {
  whipUrl: string;
  hostToken: string;
  guestToken: string;
}
interface StageResult {
  /** a pulse sent by one bot → its onset heard by the other, ms, both ways */
  delays: number[];
  /** both bots' feeds, frame by frame (bench/stageSignals.ts) */
  voice: OwnVoice;
}

/**
 * The probe process: two bots on stage, measured all the time. Each `window` line on stdin prints
 * `STAGE {json}` for the time since the last one; `stop` ends it. The bots stay connected across the calm
 * run and the attack, as speakers on stage would.
 */
async function stageProbe(o: StageProbe): Promise<void> {
  const bot = (token: string, me: typeof HOST | typeof GUEST, other: typeof HOST | typeof GUEST) =>
    new SpeakerBot({
      whipUrl: o.whipUrl,
      token,
      ...speakerSignal(me.toneHz, PULSE_EVERY_MS, { sendHz: me.pulseHz, hearHz: other.pulseHz }),
      connectTimeoutMs: 90_000,
    });
  const host = bot(o.hostToken, HOST, GUEST);
  const guest = bot(o.guestToken, GUEST, HOST);
  // Each feed is measured frame by frame as it arrives (a few Goertzels per 20 ms frame), not in a batch
  // at `window`: a batch of ~250 ms would stall the bots' senders here, and a sender's stall is a burst
  // that the stage's jitter buffers hold as standing delay until the next pause.
  const meter = (b: SpeakerBot, me: typeof HOST | typeof GUEST, other: typeof HOST | typeof GUEST) => {
    const m = new OwnVoiceMeter(me.toneHz, other.toneHz, other.pulseHz);
    const tap = FrameTap.claim(b);
    tap.onFrame = (frame) => m.push(frame);
    return { m, tap };
  };
  const meters = [meter(host, HOST, GUEST), meter(guest, GUEST, HOST)] as const;
  await Promise.all([host.start(), guest.start()]);
  await sleep(2000);
  for (const { tap } of meters) tap.start();
  let from = performance.now();
  const window = (): StageResult => {
    const to = performance.now();
    const voice = merge(meters[0].m.take(), meters[1].m.take());
    const delays = [
      ...pulseDelays(host, guest, from, to, PULSE_EVERY_MS),
      ...pulseDelays(guest, host, from, to, PULSE_EVERY_MS),
    ];
    from = to;
    return { delays, voice };
  };
  console.log('READY');
  for await (const line of createInterface({ input: process.stdin })) {
    // JSON has no −∞ (a frame with none of the own tone): it goes as null, and is read back in stageRun.
    if (line === 'window') console.log(`STAGE ${JSON.stringify(window())}`);
    if (line === 'stop') break;
  }
  for (const { tap } of meters) tap.recording = false;
  await Promise.all([host.stop(), guest.stop()]);
}

/** The probe in a child process on core 1; each `window()` is the stage since the last. */
async function stageRun(o: StageProbe): Promise<{
  window: () => Promise<StageResult | undefined>;
  stop: () => Promise<void>;
}> {
  const [exe, ...args] = pin(1, [process.execPath, '--import', 'tsx', fileURLToPath(import.meta.url)]) as [
    string,
    ...string[],
  ];
  const child = spawn(exe, args, {
    cwd: root,
    env: { ...process.env, FLOOD_STAGE_PROBE: JSON.stringify(o), ROSTRA_LOG_LEVEL: 'silent' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const lines: string[] = [];
  const waiting: ((line: string | undefined) => void)[] = [];
  const rl = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  rl.on('line', (line) => {
    if (line !== 'READY' && !line.startsWith('STAGE ')) return; // a stray log line
    const w = waiting.shift();
    if (w) w(line);
    else lines.push(line);
  });
  void exited.then(() => {
    for (const w of waiting.splice(0)) w(undefined);
  });
  const next = () =>
    new Promise<string | undefined>((resolve) => {
      const l = lines.shift();
      if (l !== undefined) resolve(l);
      else if (child.exitCode !== null) resolve(undefined);
      else waiting.push(resolve);
    });
  const ready = (await next()) === 'READY';
  return {
    window: async () => {
      if (!ready || child.exitCode !== null) return undefined;
      child.stdin?.write('window\n');
      const line = await next();
      const r = line === undefined ? undefined : (JSON.parse(line.slice(6)) as StageResult);
      if (!r || !Array.isArray(r.delays) || !Array.isArray(r.voice?.rel)) return undefined;
      const dbs = (xs: readonly (number | null)[]) => xs.map((x) => x ?? -Infinity);
      return { ...r, voice: { ...r.voice, rel: dbs(r.voice.rel), unplayed: dbs(r.voice.unplayed) } };
    },
    stop: async () => {
      child.stdin?.end('stop\n');
      await exited;
    },
  };
}

/** A space with the host and a guest on stage, both unmuted. */
async function stageSpace(port: number): Promise<{ id: string; probe: StageProbe }> {
  const { id, token } = await space(port);
  const guestHandle = `guest${Date.now().toString(36)}`.slice(0, 15);
  const from = '127.9.200.1';
  const guest = await signUp(port, guestHandle, from);
  const guestToken = String(guest.json.token);
  const guestId = String((guest.json.user as { id: string }).id);
  for (const [path, t, body] of [
    [`/api/v1/spaces/${id}/users/${guestId}/invite`, token, undefined],
    [`/api/v1/spaces/${id}/invitation`, guestToken, { accept: true }],
    [`/api/v1/spaces/${id}/users/${guestId}/unmute`, guestToken, undefined],
  ] as const) {
    const a = await call(port, 'POST', path, { token: t, from, ...(body ? { body } : { body: {} }) });
    if (a.status >= 300) throw new Error(`${path}: ${a.status} ${JSON.stringify(a.json)}`);
  }
  return {
    id,
    probe: {
      whipUrl: `http://127.0.0.1:${port}/api/v1/spaces/${id}/whip`,
      hostToken: token,
      guestToken,
    },
  };
}

/** The stage bench's figures: delay both ways; own voice worst, median, its control, the frames' counts. */
function stageCells(s: StageResult | undefined, delayTarget: string): string {
  if (s === undefined) return 'stage probe failed';
  const [worst, median, unplayed, frames] = ownVoiceCells(s.voice);
  return `stage delay p50 ${fmt(percentile(s.delays, 50))} / p99 ${fmt(percentile(s.delays, 99))} ms (${s.delays.length} pulses both ways${delayTarget}); own voice worst ${worst} (target < ${OWN_VOICE_GOAL_DB} dB), median ${median || '-'}, unplayed ${UNPLAYED_HZ} Hz worst ${unplayed}; frames measured / no reference / near a pulse / too noisy ${frames}`;
}

/** What the attack child was told to do (FLOOD_ATTACK), and what it reports when it stops. */
interface AttackPlan {
  port: number;
  id: string;
  /** Junk requests per second to send (10 × the calm crowd's rate). */
  rate: number;
  /**
   * A new connection for every junk request (`Connection: close`), instead of 256 keep-alive connections
   * that each wait for their answer: the flood the junk lane cannot pace (see docs/guard.md).
   */
  churn: boolean;
}
interface AttackReport {
  statuses: [number, number][];
  sent: number;
  seconds: number;
  slowClosed: number;
  idleClosed: number;
}

/**
 * The attack, in a process of its own at low priority on core 1 (FLOOD_ATTACK): on a real network the
 * attacker is other machines, so its sending must not slow the crowd's generator, whose clock measures
 * the part delay. Junk is paced to the asked rate from 8 addresses; 500 slowloris sockets trickle a header
 * every 2 s and 1,000 WebSockets never say hello, from 4 more. `stop` on stdin waits (up to 15 s) for the
 * deadlines to close the slow and idle sockets, then prints `ATTACK {json}`.
 */
async function attackProcess(plan: AttackPlan): Promise<void> {
  const { port, id } = plan;
  const statuses = new Map<number, number>();
  let sent = 0;
  let running = true;
  const t0 = performance.now();
  // Raw keep-alive sockets with hand-written requests and a status-line scan: a Node HTTP client spends
  // ~200 µs of CPU per request and could not reach 10 × the crowd's rate from one niced core.
  const body = JSON.stringify({ ticket: 42 });
  const close = plan.churn ? 'Connection: close\r\n' : '';
  const junkRequest = (): string =>
    Math.random() < 0.5
      ? `GET /live/${id}/audio.m3u8?ticket=forged${Math.random()} HTTP/1.1\r\nHost: x\r\n${close}\r\n`
      : `POST /api/v1/spaces/${id}/listen HTTP/1.1\r\nHost: x\r\n${close}Content-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
  const junkSockets = new Set<Socket>();
  const junk = (addr: string) =>
    new Promise<void>((resolve) => {
      const open = (): void => {
        if (!running) return resolve();
        const sock = connect({ host: '127.0.0.1', port, localAddress: addr });
        junkSockets.add(sock);
        let buf = '';
        let waiting = false;
        const next = async (): Promise<void> => {
          // Paced: request n leaves at n / rate seconds.
          const due = t0 + (sent / plan.rate) * 1000;
          const now = performance.now();
          if (due > now) await sleep(due - now);
          if (!running || sock.destroyed) return;
          sent++;
          waiting = true;
          sock.write(junkRequest());
        };
        sock.setEncoding('latin1');
        sock.on('error', () => undefined); // counted as a close below
        sock.on('connect', () => void next());
        sock.on('data', (d: string) => {
          buf += d;
          for (;;) {
            const head = buf.indexOf('\r\n\r\n');
            if (head < 0) return;
            const length = /content-length: *(\d+)/i.exec(buf.slice(0, head));
            const end = head + 4 + Number(length?.[1] ?? 0);
            if (buf.length < end) return;
            const status = Number(buf.slice(9, 12));
            tally(statuses, status);
            buf = buf.slice(end);
            waiting = false;
            void next();
          }
        });
        sock.on('close', () => {
          junkSockets.delete(sock);
          if (waiting && running) tally(statuses, 0);
          open();
        });
      };
      open();
    });
  // Churn: paced the same way, each request on a connection of its own (at most 1,024 in flight), from
  // 32 addresses so that closed connections' tuples are not reused too soon.
  const churn = async (): Promise<void> => {
    let inFlight = 0;
    while (running) {
      const due = t0 + (sent / plan.rate) * 1000;
      const wait = Math.max(due - performance.now(), inFlight >= 1024 ? 1 : 0);
      if (wait > 0) {
        await sleep(wait);
        continue;
      }
      sent++;
      inFlight++;
      const sock = connect({ host: '127.0.0.1', port, localAddress: `127.4.${sent % 32}.1` });
      junkSockets.add(sock);
      let head = '';
      sock.setEncoding('latin1');
      sock.on('error', () => undefined); // counted as a close without an answer
      sock.on('connect', () => sock.write(junkRequest()));
      sock.on('data', (d: string) => {
        if (head.length >= 12) return;
        head += d;
        if (head.length >= 12) tally(statuses, Number(head.slice(9, 12)));
      });
      sock.on('close', () => {
        inFlight--;
        junkSockets.delete(sock);
        if (head.length < 12 && running) tally(statuses, 0);
      });
    }
  };
  const junkDone = plan.churn
    ? churn()
    : Promise.all(Array.from({ length: 256 }, (_, w) => junk(`127.4.${w % 8}.1`)));
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
  console.log('READY');
  for await (const line of createInterface({ input: process.stdin })) if (line === 'stop') break;
  running = false;
  const seconds = (performance.now() - t0) / 1000;
  for (const sock of junkSockets) sock.destroy();
  await junkDone;
  // Sockets opened late by a busy server get their deadline too: wait for them (a bound, not a goal).
  for (let i = 0; i < 150 && (slowClosed < 500 || idleClosed < 1000); i++) await sleep(100);
  clearInterval(trickle);
  const report: AttackReport = { statuses: [...statuses], sent, seconds, slowClosed, idleClosed };
  console.log(`ATTACK ${JSON.stringify(report)}`);
  for (const s of slow) s.destroy();
  for (const ws of idle) ws.terminate();
}

/** Starts the attack child (nice 10, core 1) and returns `stop`, which resolves with its report. */
async function startAttack(plan: AttackPlan): Promise<() => Promise<AttackReport | undefined>> {
  const [exe, ...args] = pin(1, [
    ...(existsSync('/usr/bin/nice') ? ['nice', '-n', '10'] : []),
    process.execPath,
    '--import',
    'tsx',
    fileURLToPath(import.meta.url),
  ]) as [string, ...string[]];
  const child = spawn(exe, args, {
    cwd: root,
    env: { ...process.env, FLOOD_ATTACK: JSON.stringify(plan) },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  let report: AttackReport | undefined;
  let ready: () => void = () => undefined;
  const isReady = new Promise<void>((r) => (ready = r));
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    if (line === 'READY') ready();
    if (line.startsWith('ATTACK ')) report = JSON.parse(line.slice(7)) as AttackReport;
  });
  await Promise.race([isReady, exited]);
  return async () => {
    child.stdin?.end('stop\n');
    await exited;
    return report;
  };
}

async function flood(port: number, churn = false): Promise<string[][]> {
  const name = churn ? 'churn' : 'flood';
  const { id, probe } = await stageSpace(port);
  const url = `http://127.0.0.1:${port}/s/${id}`;
  // Every part's delay with its publish time: the bench says where the late ones fall against the attack.
  let delays: [number, number][] = [];
  const run = () =>
    runLoadTest({
      url,
      listeners: 200,
      durationS: SECONDS,
      decoders: 0,
      expectSound: false,
      onPartDelay: (ms, at) => delays.push([ms, at]),
    });
  // The speakers are on stage before the listeners come, and stay through the attack.
  const stage = await stageRun(probe);
  await stage.window();
  const calm = await run();
  const calmStage = await stage.window();
  const mem0 = await memoryMb(port);
  // The listeners come in first (a join is a new join, shed under pressure); the attack starts once they
  // are in and lasts to the end of the run, at 10 × the calm crowd's request rate.
  delays = [];
  const attackedRun = run();
  await sleep(Math.min(5, SECONDS / 3) * 1000);
  const lateMs = 1.5 * calm.partDelayMs.p99;
  // The attack child's start (and its sockets' opening) is part of the onset: the witness covers both.
  const witness = new OnsetWitness(port);
  await witness.start();
  const stopAttack = await startAttack({ port, id, rate: 10 * calm.requestsPerSecond, churn });
  // The attack child has opened its sockets (READY): the onset is the next seconds.
  const onsetMs = Date.now();
  await sleep(2000);
  const onsetNote = await witness.read(lateMs);
  const attacked = await attackedRun;
  const late = delays.filter(([ms]) => ms > lateMs);
  const lateAt = (from: number, to: number) =>
    late.filter(([, at]) => at >= onsetMs + from * 1000 && at < onsetMs + to * 1000).length;
  const lateNote = `late parts (> 1.5 × calm p99 = ${fmt(lateMs)} ms): ${fmt(late.length)} of ${fmt(delays.length)} (${((late.length / Math.max(1, delays.length)) * 100).toFixed(2)} %); published before the attack ${fmt(late.filter(([, at]) => at < onsetMs).length)}, in its first 2 s ${fmt(lateAt(0, 2))}, later ${fmt(lateAt(2, Infinity))}; from the attack's start to 2 s after READY: ${onsetNote}`;
  const attackedStage = await stage.window();
  const mem1 = await memoryMb(port);
  const attack = await stopAttack();
  await stage.stop();
  const junkStatuses = new Map(attack?.statuses ?? []);
  const slowClosed = attack?.slowClosed ?? 0;
  const idleClosed = attack?.idleClosed ?? 0;
  const attackRate = attack ? attack.sent / attack.seconds : 0;
  const asked = 10 * calm.requestsPerSecond;
  const how = churn
    ? 'each on a new connection'
    : '256 keep-alive connections, each waiting for its answer; the junk lane holds those refused twice in a row';
  const rows = [
    [
      `${name}: calm`,
      `${calm.listenersConnected}/200 in; ${calm.stallRate.toFixed(4)} stall rate`,
      `part delay p99 ${fmt(calm.partDelayMs.p99)} ms`,
      stageCells(calmStage, ''),
    ],
    [
      `${name}: attacked`,
      `${attacked.listenersConnected}/200 in; ${attacked.stallRate.toFixed(4)} stall rate (target < 0.001)`,
      `part delay p99 ${fmt(attacked.partDelayMs.p99)} ms = ${(attacked.partDelayMs.p99 / Math.max(1, calm.partDelayMs.p99)).toFixed(2)}× calm (target ≤ 1.5×); ${lateNote}`,
      stageCells(attackedStage, ', target p99 ≤ 150 ms'),
    ],
    [
      `${name}: the attack`,
      '',
      `RSS +${fmt(mem1.rss - mem0.rss)} MB (target < 100; V8 heap +${fmt(mem1.heap - mem0.heap)} (used +${fmt(mem1.heapUsed - mem0.heapUsed)}), external +${fmt(mem1.external - mem0.external)})`,
      `junk asked ${fmt(asked)}/s = 10× the crowd's ${fmt(calm.requestsPerSecond)}/s (${how}); sent ${fmt(attackRate)}/s = ${(attackRate / Math.max(1, calm.requestsPerSecond)).toFixed(1)}× (${describeStatuses(junkStatuses)}); slowloris closed ${slowClosed}/500; idle WS closed ${idleClosed}/1000 (target: all)`,
    ],
  ];
  writeSummary([
    {
      measure: `guard ${name}: part delay p99 (attacked / calm)`,
      value: `${fmt(attacked.partDelayMs.p99)} ms`,
      reference: `${fmt(calm.partDelayMs.p99)} ms`,
      ratio: (attacked.partDelayMs.p99 / Math.max(1, calm.partDelayMs.p99)).toFixed(2),
    },
    {
      measure: `guard ${name}: stage delay p99 (attacked / calm)`,
      value: `${fmt(percentile(attackedStage?.delays ?? [], 99))} ms`,
      reference: `${fmt(percentile(calmStage?.delays ?? [], 99))} ms`,
      ratio: '',
    },
    {
      measure: `guard ${name}: own voice in a speaker's return feed, worst 20 ms frame (attacked / calm; goal < ${OWN_VOICE_GOAL_DB} dB, always)`,
      value: attackedStage ? worstText(attackedStage.voice.rel) : 'probe failed',
      reference: calmStage ? worstText(calmStage.voice.rel) : 'probe failed',
      ratio: '',
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
    for (const a of answers) tally(statuses, a.status);
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
        tally(statuses, a.status);
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
  await signUp(port, handle, '127.11.0.1', 'the real password');
  // A browser keeps the device cookie from its first sign-in; the "new device" never had one.
  let device: string | undefined;
  const queueMs = (a: Answer) => Number(/queue;dur=([\d.]+)/.exec(a.serverTiming ?? '')?.[1] ?? NaN);
  const summary = (xs: Answer[]) => ({
    ok: xs.filter((s) => s.status === 200).length,
    refused: xs.filter((s) => s.status !== 200).map((s) => s.status),
    n: xs.length,
    maxMs: Math.max(...xs.map((s) => s.ms)),
    maxQueueMs: Math.max(...xs.map(queueMs).filter((q) => !Number.isNaN(q))),
  });
  const probe = async (seconds: number) => {
    const signins: Answer[] = [];
    const fresh: Answer[] = [];
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
      const [known, unknown] = await Promise.all([
        call(port, 'POST', '/api/v1/auth/signin', {
          body: { handle, password: 'the real password' },
          from: '127.11.0.2',
          ...(device ? { cookie: device } : {}),
        }),
        call(port, 'POST', '/api/v1/auth/signin', {
          body: { handle, password: 'the real password' },
          from: '127.11.0.3',
        }),
      ]);
      if (known.setCookie?.startsWith('rostra_device=')) device = known.setCookie;
      signins.push(known);
      fresh.push(unknown);
      await sleep(1000);
    }
    await joinLoop;
    joins.sort((a, b) => a - b);
    return {
      known: summary(signins),
      fresh: summary(fresh),
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
  for (const a of answers) tally(statuses, a.status);
  writeSummary([
    {
      measure: 'guard sign-in storm: real sign-in (known device), slowest',
      value: `${fmt(stormy.known.maxMs)} ms (queue ${fmt(stormy.known.maxQueueMs)} ms)`,
      reference: `${fmt(calm.known.maxMs)} ms calm`,
      ratio: (stormy.known.maxMs / Math.max(1, calm.known.maxMs)).toFixed(2),
    },
  ]);
  const who = (s: ReturnType<typeof summary>) =>
    `${s.ok}/${s.n} ok, slowest ${fmt(s.maxMs)} ms, queue ≤ ${fmt(s.maxQueueMs)} ms${s.refused.length > 0 ? ` (refused: ${s.refused.join(',')})` : ''}`;
  return [
    [
      'signin: calm',
      `known device ${who(calm.known)}; new device ${who(calm.fresh)}`,
      `join p99 ${fmt(calm.joinP99)} ms`,
      '-',
    ],
    [
      'signin: storm',
      `known device ${who(stormy.known)}; new device ${who(stormy.fresh)} (target ≤ 1 s, never refused)`,
      `join p99 ${fmt(stormy.joinP99)} ms (target < 100)`,
      describeStatuses(statuses),
    ],
  ];
}

async function main(): Promise<void> {
  const only = (process.env.FLOOD_SCENARIOS ?? 'lockout,flood,churn,nat,surge,signin').split(',');
  const scenarios: [string, (port: number) => Promise<string[][]>][] = [
    ['lockout', lockout],
    ['flood', (port) => flood(port)],
    ['churn', (port) => flood(port, true)],
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
    `\nThe guard under attack (${SECONDS} s per attack; the server on core 0, everything else on core 1; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')})\n`,
  );
  printTable(rows);
}

const probeArgs = process.env.FLOOD_STAGE_PROBE;
const attackArgs = process.env.FLOOD_ATTACK;
if (attackArgs !== undefined) {
  await attackProcess(JSON.parse(attackArgs) as AttackPlan);
  process.exit(0);
} else if (probeArgs !== undefined) {
  await stageProbe(JSON.parse(probeArgs) as StageProbe);
  process.exit(0); // the bots are stopped; nothing else to wait for
} else await main();
