/**
 * What the AAC-LC rendition costs (docs/capacity.md): CPU per space of `@mediabunny/aac-encoder` (FFmpeg's
 * AAC encoder in WASM, in a worker thread per space) packaged into fMP4 parts, beside the broadcast's
 * Opus encoder (@evan/opus) on the same 60 s of speech-like audio in the same process; the worker's start
 * and its memory; and the bytes per second a listener of each rendition downloads. CPU is the whole
 * process's (process.cpuUsage counts every thread, the worker's included). Medians of 3 runs. (In a node,
 * the encoder runs in the stage worker process beside the mixer, and its packaging in the node.)
 */
import { AacEncoder } from '../src/audio/AacEncoder.js';
import { AacRendition } from '../src/broadcast/AacRendition.js';
import { PartPackager } from '../src/broadcast/PartPackager.js';
import { OpusFrameEncoder, FRAME_SAMPLES } from '../src/audio/OpusCodec.js';
import { SineFrames } from '../src/testing/testSignals.js';
import { fmt, median, printTable } from './lib.js';
import { writeSummary } from './summary.js';

const RUNS = 3;
const SECONDS = 60;
const FRAMES = (SECONDS * 48_000) / FRAME_SAMPLES;

// Speech-like input: two tones with slow envelopes, so both encoders do real work.
const a = new SineFrames(440, 8000);
const b = new SineFrames(660, 6000);
const pcm = Array.from({ length: 500 }, (_, i) => {
  const x = a.next();
  const y = b.next();
  const gain = 0.5 + 0.5 * Math.sin(i / 7);
  return Int16Array.from(x, (v, j) => Math.round((v + (y[j] ?? 0)) * gain * 0.5));
});

const cpuMs = (from: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(from);
  return (u.user + u.system) / 1000;
};

/** CPU ms to Opus-encode and package `frames` of the mix, as the broadcast does. */
function opusRun(frames: number): { cpu: number; bytes: number } {
  const encoder = new OpusFrameEncoder({ bitrate: 32_000 });
  const packager = new PartPackager({ preSkip: encoder.preSkip, startedAtMs: 0 });
  let bytes = 0;
  packager.on('part', (p) => (bytes += p.bytes.length));
  const t0 = process.cpuUsage();
  for (let i = 0; i < frames; i++) {
    packager.push({
      opus: encoder.encode(pcm[i % 500] as Int16Array),
      sampleTime: i * 960,
      durationSamples: 960,
    });
  }
  packager.end();
  return { cpu: cpuMs(t0), bytes };
}

/** An encoder feeding a rendition's packager, as a space's stage engine and its media do. */
function rendition(): { aac: AacRendition; encoder: AacEncoder } {
  const aac = new AacRendition({ startedAtMs: 0, bitrate: 48_000 });
  const encoder = new AacEncoder({ bitrate: aac.bitrate });
  encoder.on('frame', (frame) => aac.push(frame));
  return { aac, encoder };
}

/** CPU ms of one AAC rendition's whole life (worker start, `frames` of the mix, flush), and its bytes. */
async function aacRun(frames: number): Promise<{ cpu: number; bytes: number }> {
  const t0 = process.cpuUsage();
  const { aac, encoder } = rendition();
  let bytes = 0;
  aac.packager.on('part', (p) => (bytes += p.bytes.length));
  for (let i = 0; i < frames; i++) encoder.push(pcm[i % 500] as Int16Array, i * 960);
  await encoder.finish();
  aac.end();
  aac.close();
  return { cpu: cpuMs(t0), bytes };
}

opusRun(250); // warm up
await aacRun(50);
const opus = Array.from({ length: RUNS }, () => opusRun(FRAMES));
const aacLong: { cpu: number; bytes: number }[] = [];
const aacShort: { cpu: number; bytes: number }[] = [];
for (let r = 0; r < RUNS; r++) {
  aacLong.push(await aacRun(FRAMES));
  aacShort.push(await aacRun(50)); // 1 s: mostly the worker's start
}
const opusPct = (median(opus.map((o) => o.cpu)) / (SECONDS * 1000)) * 100;
const startMs = median(aacShort.map((s) => s.cpu));
// Steady state: the long run less the start, over the seconds the short run does not cover.
const aacPct = ((median(aacLong.map((l) => l.cpu)) - startMs) / ((SECONDS - 1) * 1000)) * 100;
const aacWholePct = (median(aacLong.map((l) => l.cpu)) / (SECONDS * 1000)) * 100;
const kbps = (bytes: number) => (bytes * 8) / SECONDS / 1000;
const opusKbps = kbps(median(opus.map((o) => o.bytes)));
const aacKbps = kbps(median(aacLong.map((l) => l.bytes)));

// Memory: live encoders (one worker each) held at once, after a second of audio each.
const before = process.memoryUsage().rss;
const held = Array.from({ length: 4 }, rendition);
for (let i = 0; i < 50; i++) for (const r of held) r.encoder.push(pcm[i % 500] as Int16Array, i * 960);
await Promise.all(
  held.map((r) => new Promise<void>((resolve) => r.aac.packager.once('part', () => resolve()))),
);
const perSpaceMb = (process.memoryUsage().rss - before) / held.length / 1e6;
for (const r of held) {
  r.encoder.close();
  r.aac.close();
}

printTable([
  ['broadcast encoding of 60 s (one space)', 'core %', 'kbit/s to each listener'],
  ['Opus 32 kbps (@evan/opus) + fMP4', fmt(opusPct, 2), fmt(opusKbps, 1)],
  ['AAC-LC 48 kbps (WASM worker) + fMP4, steady', fmt(aacPct, 2), fmt(aacKbps, 1)],
  ['AAC-LC, including the worker start', fmt(aacWholePct, 2), ''],
]);
console.log(
  `\nAAC worker start: ${fmt(startMs, 0)} ms of CPU per space; resident memory per live AAC rendition: ${fmt(perSpaceMb, 1)} MB`,
);
writeSummary([
  {
    measure: 'AAC-LC rendition (encoder in a worker + fMP4): core % per space',
    value: `${fmt(aacPct, 2)} %`,
    reference: `Opus broadcast encoder ${fmt(opusPct, 2)} %`,
    ratio: `${fmt(aacPct / opusPct, 1)} ×`,
  },
  {
    measure: 'AAC-LC rendition: memory per space (its worker)',
    value: `${fmt(perSpaceMb, 1)} MB`,
    reference: `start ${fmt(startMs, 0)} ms CPU`,
    ratio: '',
  },
]);
process.exit(0);
