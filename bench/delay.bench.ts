/**
 * Glass-to-glass delay: a bot speaker sends a 1 kHz pulse every 470 ms into a live space over WHIP; a
 * headless player (src/listener, decoding every part) finds each pulse in what it receives. Delay = when
 * the part holding the pulse's onset reached the player − when the pulse left the bot. Bot, node and
 * player share one process, so one clock, and nothing is estimated from PROGRAM-DATE-TIME.
 * Through the nginx edge, the player shares it with a crowd of simulated listeners (src/loadtest).
 * Reference in the same run: the same pulses heard by a second speaker over the stage's WebRTC mix-minus
 * (the real-time path), timed first, for STAGE_QUIET_SECONDS after each stage opens, with nothing else
 * running. It used to be timed over the whole run, and read 213 / 394 ms (30 Nov) where
 * bench/stage.bench.ts read 64 / 92 ms. Two reasons: the bots live in this process, whose event loop
 * (where their packets are timestamped) a player decoding every part blocked for up to 0.3–0.9 s at a
 * time (measured at load average 12), and Chromium, the crowd and any other work on the machine take
 * the cores the stage worker needs, whose mixer then skips ticks (it logs each skip). The stage keeps such delay: a skip (a stall > 100 ms) does not drain the speakers' jitter
 * buffers, so every later frame waits that much longer, up to their 200 ms cap, until a late-packet
 * resync (src/audio/Mixer.ts, JitterBuffer.ts). The figures timed during the other rows are printed
 * apart, as what they are. bench/stage.bench.ts measures the stage under listener load.
 *
 * A player adds its own buffer on top: hls.js in low-latency mode stays PART-HOLD-BACK (2 parts) behind
 * the live edge, so "at playback" adds that hold-back to the measured arrival delay (an upper estimate:
 * it counts the part the pulse is in twice).
 *
 * Run: npm run bench -- delay      (SECONDS=25 per configuration)
 */
import { SpeakerBot } from '../src/bot/index.js';
import { playlistTiming } from '../src/broadcast/index.js';
import { launchChromium } from '../src/testing/Browser.js';
import { LossyLink } from './lossyLink.js';
import { LiveListener } from '../src/listener/index.js';
import { runLoadTest } from '../src/loadtest/index.js';
import type { RostraNode } from '../src/server/RostraNode.js';
import { EdgeNginx } from '../src/testing/Nginx.js';
import { openTestNode, signUp } from '../src/testing/TestNode.js';
import { fmt, median, percentile, printTable } from './lib.js';
import { writeSummary } from './summary.js';

const SECONDS = Number(process.env.SECONDS ?? 25);
/** The stage reference's own window, with nothing else running, for each stage opened. */
const STAGE_QUIET_SECONDS = Number(process.env.STAGE_QUIET_SECONDS ?? 12);
// Not a multiple of any part length, so the pulses fall at every position within a part.
const PULSE_EVERY_MS = 470;
/** Simulated listeners sharing the edge with the measured player: nginx's cache lock only delays a crowd. */
const EDGE_CROWD = Number(process.env.EDGE_CROWD ?? 100);
/** Part lengths to measure, ms (DELAY_PARTS=200 for the short parts alone). */
const PARTS_MS = (process.env.DELAY_PARTS ?? '500,200').split(',').map(Number);
/** The poor network: 150 ms round trip, 1 % of segments lost (bench/lossyLink.ts). */
const LOSSY = { rttMs: 150, loss: 0.01 };
/** The web app the Chromium rows load (default: web/dist, built by `npm run build:web`). */
const WEB_DIST = process.env.WEB_DIST?.replace(/\/?$/, '/');
const holdBackMs = (partMs: number) => playlistTiming({ partTargetS: partMs / 1000 }).partHoldBackS * 1000;

interface Measured {
  label: string;
  partMs: number;
  p50: number;
  p99: number;
  pulses: number;
  stalls: number;
}

interface Stage {
  node: RostraNode;
  spaceId: string;
  emitter: SpeakerBot;
  hearer: SpeakerBot;
}

async function openStage(partMs: number): Promise<Stage> {
  const node = await openTestNode({
    ...(WEB_DIST !== undefined ? { webDist: WEB_DIST } : {}),
    config: { media: { partTargetMs: partMs } },
  });
  await node.listen();
  const base = `http://127.0.0.1:${node.http.port}`;
  const host = await signUp(node, 'host');
  const spaceId = (await host.client.post<{ id: string }>('/api/v1/spaces', { title: 'Delay' })).body.id;
  const speaker = await signUp(node, 'speaker');
  await host.client.post(`/api/v1/spaces/${spaceId}/users/${speaker.id}/invite`);
  await speaker.client.post(`/api/v1/spaces/${spaceId}/invitation`, { accept: true });
  const whipUrl = `${base}/api/v1/spaces/${spaceId}/whip`;
  const emitter = new SpeakerBot({
    connectTimeoutMs: 60_000, // a deadline for a busy machine
    whipUrl,
    token: host.token,
    audio: {
      kind: 'tone',
      frequencyHz: 440,
      levelDbfs: -18,
      pulse: { everyMs: PULSE_EVERY_MS, durationMs: 10 },
    },
  });
  // Muted on the stage (never unmuted): it only listens, so the mix stays the emitter's.
  const hearer = new SpeakerBot({
    connectTimeoutMs: 60_000,
    whipUrl,
    token: speaker.token,
    audio: { kind: 'tone', frequencyHz: 660, levelDbfs: -18 },
  });
  await emitter.start();
  await hearer.start();
  await new Promise((r) => setTimeout(r, 1500));
  return { node, spaceId, emitter, hearer };
}

async function closeStage(s: Stage): Promise<void> {
  await s.emitter.stop();
  await s.hearer.stop();
  await s.node.close();
}

async function listen(label: string, partMs: number, url: string, emitter: SpeakerBot): Promise<Measured> {
  // Pulses from the first second are left out: the player joins with the newest complete part, whose
  // pulse is as old as that part (a join figure, not the steady delay).
  const from = performance.now() + 1000;
  const r = await new LiveListener({
    url,
    seconds: SECONDS,
    reference: {
      kind: 'known',
      emissions: () =>
        emitter
          .report()
          .pulsesSent.filter((t) => t >= from)
          .map((t) => performance.timeOrigin + t),
    },
  }).run();
  if (!r.delayMs) throw new Error(`${label}: no pulse was timed`);
  return { label, partMs, p50: r.delayMs.p50, p99: r.delayMs.p99, pulses: r.pulses, stalls: r.stalls };
}

interface EarMeasured {
  label: string;
  p50: number;
  p99: number;
  samples: number;
  stalls: number;
  /** The rendition(s) hls.js played, and its own target latency (behind the live edge), median. */
  played: string;
}

/**
 * Server-to-ear in Chromium: the web app's own player (web/src/audio/HlsPlayer.ts, default settings) keeps
 * `Date.now() − PROGRAM-DATE-TIME of what plays` on its <audio> element; sampled every 250 ms after 5 s.
 */
async function chromiumEar(label: string, pageUrl: string): Promise<EarMeasured> {
  const browser = await launchChromium();
  try {
    const page = await browser.newPage();
    await page.goto(pageUrl);
    const audio = page.locator('audio[data-audio="hls"][data-live-delay-ms]');
    await audio.waitFor({ state: 'attached', timeout: 60_000 });
    await new Promise((r) => setTimeout(r, 5000));
    const samples: number[] = [];
    const targets: number[] = [];
    const codecs = new Set<string>();
    const until = performance.now() + SECONDS * 1000;
    while (performance.now() < until) {
      samples.push(Number(await audio.getAttribute('data-live-delay-ms')));
      targets.push(Number(await audio.getAttribute('data-target-latency-ms')));
      codecs.add((await audio.getAttribute('data-codec')) ?? '?');
      await new Promise((r) => setTimeout(r, 250));
    }
    const stalls = Number((await audio.getAttribute('data-stalls')) ?? 0);
    return {
      label,
      p50: median(samples),
      p99: percentile(samples, 99),
      samples: samples.length,
      stalls,
      played: `${[...codecs].join(', ')}; hls.js target ${fmt(median(targets))} ms`,
    };
  } finally {
    await browser.close();
  }
}

/** Speaker → server → other speaker: the pulses the second bot heard within [from, to). */
function stageDelay(s: Stage, from: number, to: number): number[] {
  const sent = s.emitter.report().pulsesSent;
  return s.hearer
    .report()
    .pulsesHeard.filter((at) => at >= from && at < to)
    .map((at) => at - Math.max(...sent.filter((t) => t <= at)))
    .filter((d) => Number.isFinite(d) && d < PULSE_EVERY_MS);
}

/** Stage delays by what else ran in this process meanwhile. */
const stageBy = { quiet: [] as number[], player: [] as number[], chromium: [] as number[] };
async function during<T>(s: Stage, what: keyof typeof stageBy, run: () => Promise<T>): Promise<T> {
  const from = performance.now();
  try {
    return await run();
  } finally {
    stageBy[what].push(...stageDelay(s, from, performance.now()));
  }
}

const results: Measured[] = [];
const ears: EarMeasured[] = [];

for (const partMs of PARTS_MS) {
  const s = await openStage(partMs);
  try {
    await during(s, 'quiet', () => new Promise((r) => setTimeout(r, STAGE_QUIET_SECONDS * 1000)));
    const origin = `http://127.0.0.1:${s.node.http.port}/s/${s.spaceId}`;
    results.push(
      await during(s, 'player', () =>
        listen(`LL-HLS ${partMs / 1000} s parts, origin`, partMs, origin, s.emitter),
      ),
    );
    if (partMs === 500) {
      const edge = await EdgeNginx.start({ originPort: s.node.http.port, secret: s.node.config.secret });
      try {
        const via = `http://127.0.0.1:${edge.port}/live/${s.spaceId}/index.m3u8`;
        const crowd = runLoadTest({ url: via, listeners: EDGE_CROWD, rampS: 1, durationS: SECONDS + 2 });
        results.push(
          await during(s, 'player', () =>
            listen(`LL-HLS 0.5 s parts, nginx edge + ${EDGE_CROWD} listeners`, partMs, via, s.emitter),
          ),
        );
        await crowd;
      } finally {
        await edge.stop();
      }
    }
    const page = `http://127.0.0.1:${s.node.http.port}/s/${s.spaceId}`;
    ears.push(
      await during(s, 'chromium', () =>
        chromiumEar(`Chromium, web app, ${partMs / 1000} s parts, origin`, page),
      ),
    );
    if (partMs === 500) {
      const link = await LossyLink.open({ targetPort: s.node.http.port, ...LOSSY });
      try {
        const via = `http://127.0.0.1:${link.port}/s/${s.spaceId}`;
        const lossy = `${partMs / 1000} s parts, ${LOSSY.rttMs} ms RTT + ${LOSSY.loss * 100} % loss`;
        results.push(await during(s, 'player', () => listen(`LL-HLS ${lossy}`, partMs, via, s.emitter)));
        ears.push(await during(s, 'chromium', () => chromiumEar(`Chromium, web app, ${lossy}`, via)));
        const { segments, lost } = link.stats;
        console.log(`lossy link: ${lost} of ${segments} segments lost`);
      } finally {
        await link.close();
      }
    }
  } finally {
    await closeStage(s);
  }
}

const rows = [['glass-to-glass (bot → player)', 'pulses', 'p50 ms', 'p99 ms', 'at playback p50*', 'stalls']];
const stage = stageBy.quiet;
rows.push([
  'reference: speaker → speaker (WebRTC stage), quiet',
  fmt(stage.length),
  fmt(median(stage)),
  fmt(percentile(stage, 99)),
  '',
  '',
]);
for (const m of results)
  rows.push([
    m.label,
    fmt(m.pulses),
    fmt(m.p50),
    fmt(m.p99),
    fmt(m.p50 + holdBackMs(m.partMs)),
    fmt(m.stalls),
  ]);
console.log('');
printTable(rows);
console.log(
  `\n* + PART-HOLD-BACK (2 parts), the buffer hls.js keeps behind the live edge. ${SECONDS} s per row, a pulse every ${PULSE_EVERY_MS} ms.`,
);
console.log(
  `The stage reference is timed in ${STAGE_QUIET_SECONDS} s windows with nothing else running. The same bots, timed meanwhile in this busy process (not a stage figure: bench/stage.bench.ts measures the stage under load):`,
);
for (const [what, xs] of [
  ['while a player decodes every part (and, at the edge, a crowd) in this process', stageBy.player],
  ['while Chromium plays the web app', stageBy.chromium],
] as const)
  console.log(
    `  ${what}: p50 ${fmt(median(xs))} / p99 ${fmt(percentile(xs, 99))} ms, ${fmt(xs.length)} pulses`,
  );

// What a listener hears in the web app: hls.js with Rostra's settings, PDT of the playing sample vs now.
const earRows = [
  ['server-to-ear in Chromium (PDT of what plays)', 'samples', 'p50 ms', 'p99 ms', 'stalls', 'played'],
];
for (const e of ears)
  earRows.push([e.label, fmt(e.samples), fmt(e.p50), fmt(e.p99), fmt(e.stalls), e.played]);
console.log('');
printTable(earRows);
console.log(
  `\nThe lossy rows go through bench/lossyLink.ts (${LOSSY.rttMs} ms RTT, ${LOSSY.loss * 100} % of 1,448-byte segments lost,` +
    ` each stalling the stream for a retransmission timeout), emulated in user space: this kernel has no sch_netem.`,
);

writeSummary([
  ...ears.map((e) => ({
    measure: `server-to-ear p50 / p99, ${e.label}`,
    value: `${fmt(e.p50)} / ${fmt(e.p99)} ms, ${fmt(e.stalls)} stalls`,
    reference: `WebRTC stage p50 ${fmt(median(stage))} ms`,
    ratio: `${fmt(e.p50 / median(stage), 1)} ×`,
  })),
  ...results.map((m) => ({
    measure: `glass-to-glass p50 / p99, ${m.label.replace('LL-HLS ', '')}`,
    value: `${fmt(m.p50)} / ${fmt(m.p99)} ms`,
    reference: `WebRTC stage p50 ${fmt(median(stage))} ms`,
    ratio: `${fmt(m.p50 / median(stage), 1)} ×`,
  })),
]);
