/**
 * Glass-to-glass delay: a bot speaker sends a 1 kHz pulse every 470 ms into a live space over WHIP; a
 * headless player (src/listener, decoding every part) finds each pulse in what it receives. Delay = when
 * the part holding the pulse's onset reached the player − when the pulse left the bot. Bot, node and
 * player share one process, so one clock, and nothing is estimated from PROGRAM-DATE-TIME.
 * Through the nginx edge, the player shares it with a crowd of simulated listeners (src/loadtest).
 * Reference in the same run: the same pulses heard by a second speaker over the stage's WebRTC mix-minus
 * (the real-time path).
 *
 * A player adds its own buffer on top: hls.js in low-latency mode stays PART-HOLD-BACK (3 parts) behind
 * the live edge, so "at playback" adds that hold-back to the measured arrival delay (an upper estimate:
 * it counts the part the pulse is in twice).
 *
 * Run: npm run bench -- delay      (SECONDS=25 per configuration)
 */
import { SpeakerBot } from '../src/bot/index.js';
import { LiveListener } from '../src/listener/index.js';
import { runLoadTest } from '../src/loadtest/index.js';
import type { RostraNode } from '../src/server/RostraNode.js';
import { EdgeNginx } from '../src/testing/Nginx.js';
import { openTestNode, signUp } from '../src/testing/TestNode.js';
import { fmt, median, printTable } from './lib.js';
import { writeSummary } from './summary.js';

const SECONDS = Number(process.env.SECONDS ?? 25);
// Not a multiple of any part length, so the pulses fall at every position within a part.
const PULSE_EVERY_MS = 470;
/** Simulated listeners sharing the edge with the measured player: nginx's cache lock only delays a crowd. */
const EDGE_CROWD = Number(process.env.EDGE_CROWD ?? 100);

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
  const node = await openTestNode({ config: { media: { partTargetMs: partMs } } });
  await node.listen();
  const base = `http://127.0.0.1:${node.http.port}`;
  const host = await signUp(node, 'host');
  const spaceId = (await host.client.post<{ id: string }>('/api/v1/spaces', { title: 'Delay' })).body.id;
  const speaker = await signUp(node, 'speaker');
  await host.client.post(`/api/v1/spaces/${spaceId}/users/${speaker.id}/invite`);
  await speaker.client.post(`/api/v1/spaces/${spaceId}/invitation`, { accept: true });
  const whipUrl = `${base}/api/v1/spaces/${spaceId}/whip`;
  const emitter = new SpeakerBot({
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

/** Speaker → server → other speaker, from the pulses the second bot heard during the listener runs. */
function stageDelay(s: Stage): number[] {
  const sent = s.emitter.report().pulsesSent;
  return s.hearer
    .report()
    .pulsesHeard.map((at) => at - Math.max(...sent.filter((t) => t <= at)))
    .filter((d) => Number.isFinite(d) && d < PULSE_EVERY_MS);
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? Number.NaN;
};

const results: Measured[] = [];
const stage: number[] = [];

for (const partMs of [500, 200]) {
  const s = await openStage(partMs);
  try {
    const origin = `http://127.0.0.1:${s.node.http.port}/s/${s.spaceId}`;
    results.push(await listen(`LL-HLS ${partMs / 1000} s parts, origin`, partMs, origin, s.emitter));
    if (partMs === 500) {
      const edge = await EdgeNginx.start({ originPort: s.node.http.port, secret: s.node.config.secret });
      try {
        const via = `http://127.0.0.1:${edge.port}/live/${s.spaceId}/index.m3u8`;
        const crowd = runLoadTest({ url: via, listeners: EDGE_CROWD, rampS: 1, durationS: SECONDS + 2 });
        results.push(
          await listen(`LL-HLS 0.5 s parts, nginx edge + ${EDGE_CROWD} listeners`, partMs, via, s.emitter),
        );
        await crowd;
      } finally {
        await edge.stop();
      }
    }
    stage.push(...stageDelay(s));
  } finally {
    await closeStage(s);
  }
}

const rows = [['glass-to-glass (bot → player)', 'pulses', 'p50 ms', 'p99 ms', 'at playback p50*', 'stalls']];
rows.push([
  'reference: speaker → speaker (WebRTC stage)',
  fmt(stage.length),
  fmt(median(stage)),
  fmt(percentile(stage, 99)),
  '',
  '',
]);
for (const m of results)
  rows.push([m.label, fmt(m.pulses), fmt(m.p50), fmt(m.p99), fmt(m.p50 + 3 * m.partMs), fmt(m.stalls)]);
console.log('');
printTable(rows);
console.log(
  `\n* + PART-HOLD-BACK (3 parts), the buffer hls.js keeps behind the live edge. ${SECONDS} s per row, a pulse every ${PULSE_EVERY_MS} ms.`,
);

writeSummary(
  results.map((m) => ({
    measure: `glass-to-glass p50 / p99, ${m.label.replace('LL-HLS ', '')}`,
    value: `${fmt(m.p50)} / ${fmt(m.p99)} ms`,
    reference: `WebRTC stage p50 ${fmt(median(stage))} ms`,
    ratio: `${fmt(m.p50 / median(stage), 1)} ×`,
  })),
);
