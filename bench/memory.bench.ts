/**
 * Memory per live space and per listener connection, measured inside one Rostra node after forced
 * garbage collections (this file re-runs itself with --expose-gc). Everything that is not the node, the
 * bot speakers and the listeners' sockets, runs in a child process, so it does not count.
 *
 * - Per live space: 8 more spaces, each with one bot speaker on its stage (WebRTC peer, jitter buffer,
 *   mixer, Opus encoder, packager, the window filling), after one space has warmed every code path.
 * - Per listener connection: N listeners, each with its own keep-alive socket, a ticket (POST /listen,
 *   so a presence entry) and one playlist fetched. Reference in the same run: the same N keep-alive
 *   sockets to a bare node:http server in this process.
 *
 * Run: npm run bench -- memory      (SPACES=8 LISTENERS=2000)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, Agent, request } from 'node:http';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { SpeakerBot } from '../src/bot/index.js';
import { openTestNode, signUp } from '../src/testing/TestNode.js';
import { bareNodeRss, IDLE_RSS_GOAL_MB, idleRss, startCommand, type IdleRss } from './idleRss.js';
import { fmt, printTable, UNGUARDED } from './lib.js';
import { writeSummary } from './summary.js';

const SPACES = Number(process.env.SPACES ?? 8);
const LISTENERS = Number(process.env.LISTENERS ?? 2000);
const self = fileURLToPath(import.meta.url);

type Command =
  | { cmd: 'bot'; whipUrl: string; token: string; hz: number }
  | { cmd: 'listeners'; port: number; spaceId: string; n: number }
  | { cmd: 'sockets'; port: number; n: number };

// --- the child: bots and client sockets, driven by JSON lines on stdin
async function child(): Promise<void> {
  const bots: SpeakerBot[] = [];
  const agents: Agent[] = [];
  const get = (agent: Agent, port: number, method: string, path: string, headers = {}, body?: string) =>
    new Promise<string>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method, path, agent, headers }, (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve(text));
      });
      req.on('error', reject);
      req.end(body);
    });
  for await (const line of createInterface({ input: process.stdin })) {
    const c = JSON.parse(line) as Command;
    if (c.cmd === 'bot') {
      const bot = new SpeakerBot({
        whipUrl: c.whipUrl,
        token: c.token,
        audio: { kind: 'tone', frequencyHz: c.hz, levelDbfs: -18 },
      });
      await bot.start();
      bots.push(bot);
    } else {
      // One agent per socket: every listener keeps a connection of its own open.
      const work = Array.from({ length: c.n }, async () => {
        const agent = new Agent({ keepAlive: true, maxSockets: 1 });
        agents.push(agent);
        if (c.cmd === 'sockets') return void (await get(agent, c.port, 'GET', '/'));
        const body = await get(
          agent,
          c.port,
          'POST',
          `/api/v1/spaces/${c.spaceId}/listen`,
          { 'content-type': 'application/json' },
          '{}',
        );
        const { ticket } = JSON.parse(body) as { ticket: string };
        await get(agent, c.port, 'GET', `/live/${c.spaceId}/audio.m3u8`, {
          cookie: `rostra_ticket=${ticket}`,
        });
      });
      for (let i = 0; i < work.length; i += 200) await Promise.all(work.slice(i, i + 200));
    }
    process.stdout.write('ok\n');
  }
  for (const a of agents) a.destroy();
  for (const b of bots) await b.stop();
}

// --- the parent: the node under measurement
interface Sample {
  heapMb: number;
  externalMb: number;
  rssMb: number;
}

async function sample(): Promise<Sample> {
  const gc = (globalThis as { gc?: () => void }).gc as () => void;
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 100));
  }
  const m = process.memoryUsage();
  return { heapMb: m.heapUsed / 2 ** 20, externalMb: m.external / 2 ** 20, rssMb: m.rss / 2 ** 20 };
}

async function parent(): Promise<void> {
  // First, alone: the idle RSS of whole `rostra serve` processes, embedded default against PostgreSQL.
  const idle = await idleRss();
  const bareNode = await bareNodeRss();
  const compiled = startCommand().compiled ? 'compiled dist/' : 'through tsx (no dist/ build)';
  const mb = (mib: number) => (mib * 2 ** 20) / 1e6;
  console.log('');
  printTable([
    [`idle rostra serve, RSS after 10 s (${compiled})`, 'RSS', 'MB', 'vs goal', 'vs bare node', 'up in'],
    ...[...idle, bareNode].map((r) => [
      r.label,
      `${fmt(r.rssMb)} MiB`,
      `${fmt(mb(r.rssMb))} MB`,
      `${fmt(mb(r.rssMb) / IDLE_RSS_GOAL_MB, 2)} ×`,
      `${fmt(r.rssMb / bareNode.rssMb, 1)} ×`,
      `${fmt(r.startMs / 1000, 1)} s`,
    ]),
  ]);
  const [fresh, restarted, postgres] = idle as [IdleRss, IdleRss, IdleRss];
  const worst = Math.max(mb(fresh.rssMb), mb(restarted.rssMb));
  console.log(
    `idle RSS, embedded default: ${fmt(worst)} MB (the larger of fresh and restarted) against the goal of ` +
      `${IDLE_RSS_GOAL_MB} MB: ${worst <= IDLE_RSS_GOAL_MB ? 'met' : 'NOT met'}; a bare node:http server: ${fmt(mb(bareNode.rssMb))} MB`,
  );
  writeSummary([
    {
      measure: 'idle node RSS, embedded PGlite (npm start; fresh / restarted)',
      value: `${fmt(fresh.rssMb)} / ${fmt(restarted.rssMb)} MiB`,
      reference: `on PostgreSQL ${fmt(postgres.rssMb)} MiB`,
      ratio: `${fmt(fresh.rssMb / postgres.rssMb, 2)} ×`,
    },
    {
      measure: 'idle node RSS, embedded PGlite, larger of fresh / restarted (MB, not MiB)',
      value: `${fmt(worst)} MB`,
      reference: `goal ${IDLE_RSS_GOAL_MB} MB; bare node:http ${fmt(mb(bareNode.rssMb))} MB`,
      ratio: `${fmt(worst / IDLE_RSS_GOAL_MB, 2)} × goal`,
    },
  ]);

  const kid: ChildProcess = spawn(process.execPath, ['--import', 'tsx', self, '--child'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const replies = createInterface({ input: kid.stdout as NodeJS.ReadableStream })[Symbol.asyncIterator]();
  const ask = async (c: Command) => {
    kid.stdin?.write(`${JSON.stringify(c)}\n`);
    const r = await replies.next();
    if (r.done || r.value !== 'ok') throw new Error(`child: ${String(r.value)}`);
  };

  const node = await openTestNode({ config: { limits: { listenersPerNode: 0 }, guard: UNGUARDED } });
  await node.listen();
  const port = node.http.port;
  const host = await signUp(node, 'host');
  const open = async (hz: number) => {
    const id = (await host.client.post<{ id: string }>('/api/v1/spaces', { title: `Memory ${hz}` })).body.id;
    await ask({
      cmd: 'bot',
      whipUrl: `http://127.0.0.1:${port}/api/v1/spaces/${id}/whip`,
      token: host.token,
      hz,
    });
    return id;
  };
  const bare = createServer((_req, res) => res.end('ok'));
  bare.keepAliveTimeout = 120_000;
  await new Promise<void>((r) => bare.listen(0, '127.0.0.1', r));
  const barePort = (bare.address() as { port: number }).port;
  try {
    const first = await open(440);
    await new Promise((r) => setTimeout(r, 5000));
    const s0 = await sample();
    for (let i = 0; i < SPACES; i++) await open(500 + i * 50);
    await new Promise((r) => setTimeout(r, 5000));
    const s1 = await sample();

    await ask({ cmd: 'listeners', port, spaceId: first, n: LISTENERS });
    const s2 = await sample();
    await ask({ cmd: 'sockets', port: barePort, n: LISTENERS });
    const s3 = await sample();

    const per = (a: Sample, b: Sample, n: number, k: keyof Sample) => ((b[k] - a[k]) * 1024) / n;
    const space = {
      heap: per(s0, s1, SPACES, 'heapMb'),
      external: per(s0, s1, SPACES, 'externalMb'),
      rss: per(s0, s1, SPACES, 'rssMb'),
    };
    const listener = {
      heap: per(s1, s2, LISTENERS, 'heapMb'),
      external: per(s1, s2, LISTENERS, 'externalMb'),
      rss: per(s1, s2, LISTENERS, 'rssMb'),
    };
    const socket = {
      heap: per(s2, s3, LISTENERS, 'heapMb'),
      external: per(s2, s3, LISTENERS, 'externalMb'),
      rss: per(s2, s3, LISTENERS, 'rssMb'),
    };
    const kib = (n: number) => `${fmt(n, 1)} KiB`;
    console.log('');
    printTable([
      ['memory, after forced GC', 'V8 heap', 'external', 'RSS', 'n'],
      [
        'idle node with 1 live space (absolute)',
        `${fmt(s0.heapMb, 1)} MiB`,
        `${fmt(s0.externalMb, 1)} MiB`,
        `${fmt(s0.rssMb, 1)} MiB`,
        '',
      ],
      ['per live space (1 bot speaker)', kib(space.heap), kib(space.external), kib(space.rss), fmt(SPACES)],
      [
        'per listener (socket + ticket + presence)',
        kib(listener.heap),
        kib(listener.external),
        kib(listener.rss),
        fmt(LISTENERS),
      ],
      [
        'reference: per bare node:http keep-alive socket',
        kib(socket.heap),
        kib(socket.external),
        kib(socket.rss),
        fmt(LISTENERS),
      ],
    ]);
    console.log(
      '\nRSS moves in pages and keeps what the allocator once took; the heap figures are the exact ones.',
    );
    const rostraPer = listener.heap + listener.external;
    const barePer = socket.heap + socket.external;
    writeSummary([
      {
        measure: 'memory per listener connection (heap + external)',
        value: kib(rostraPer),
        reference: `bare node:http socket ${kib(barePer)}`,
        ratio: `${fmt(rostraPer / barePer, 1)} ×`,
      },
      {
        measure: 'memory per live space, 1 speaker (heap + external)',
        value: kib(space.heap + space.external),
        reference: `idle node ${fmt(s0.heapMb + s0.externalMb, 1)} MiB`,
        ratio: `${fmt(((space.heap + space.external) / 1024 / (s0.heapMb + s0.externalMb)) * 100, 1)} %`,
      },
    ]);
  } finally {
    kid.stdin?.end();
    await new Promise((r) => kid.once('exit', r));
    bare.close();
    await node.close();
  }
}

if (process.argv.includes('--child')) await child();
else if (typeof (globalThis as { gc?: unknown }).gc !== 'function') {
  // Re-run with --expose-gc: the figures need collections forced at known points.
  const again = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', self], { stdio: 'inherit' });
  process.exitCode = await new Promise<number>((r) => again.once('exit', (code) => r(code ?? 1)));
} else await parent();
