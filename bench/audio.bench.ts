/**
 * Audio engine cost: raw @evan/opus encode/decode rates (20 ms mono frames, 32 kbps) next to the cost of a
 * full StageMixEngine tick (jitter buffers, decode, mix, limiter, one mix-minus encode per speaker, one
 * broadcast encode) for a space with N talking speakers, in the same process. Prints medians of 5 runs.
 */
import { performance } from 'node:perf_hooks';
import { OpusFrameDecoder, OpusFrameEncoder, FRAME_SAMPLES } from '../src/audio/OpusCodec.js';
import { Mixer } from '../src/audio/Mixer.js';
import { StageMixEngine } from '../src/audio/StageMixEngine.js';
import { SineFrames } from '../src/audio/testSignals.js';
import { TypedEmitter } from '../src/util/TypedEmitter.js';
import type { OpusPacket, StageAudioEvents, StageAudioSource } from '../src/stage/StageAudio.js';
import { writeSummary } from './summary.js';
import { fmt, median, printTable } from './lib.js';

const RUNS = 5;

function rate(fn: () => void, iterations: number): number {
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) fn();
  return iterations / ((performance.now() - t0) / 1000);
}

// Speech-like input: a tone with a slow envelope, so the encoder does real work.
const tone = new SineFrames(440, 8000);
const frames = Array.from({ length: 250 }, () => tone.next());
const refEncoder = new OpusFrameEncoder();
const packets = frames.map((f) => refEncoder.encode(f));

const encoder = new OpusFrameEncoder();
let e = 0;
const encodeRate = median(
  Array.from({ length: RUNS }, () => rate(() => encoder.encode(frames[e++ % 250] as Int16Array), 3000)),
);
const decoder = new OpusFrameDecoder();
let d = 0;
const decodeRate = median(
  Array.from({ length: RUNS }, () => rate(() => decoder.decode(packets[d++ % 250] as Uint8Array), 10000)),
);

class BenchStage extends TypedEmitter<StageAudioEvents> implements StageAudioSource {
  constructor(readonly ids: string[]) {
    super();
  }
  speakers(): readonly string[] {
    return this.ids;
  }
}

/** Median µs per tick of a space with `n` speakers all talking (worst case: every decode is real). */
function engineTickUs(n: number, ticks = 500): number {
  const ids = Array.from({ length: n }, (_, i) => `s${i}`);
  const stage = new BenchStage(ids);
  const engine = new StageMixEngine({
    source: stage,
    sink: { sendToSpeaker: () => undefined },
    autoStart: false,
    mixer: { source: { jitter: { targetDelayMs: 0 } } },
  });
  let seq = 0;
  const runOnce = (): number => {
    const t0 = performance.now();
    for (let t = 0; t < ticks; t++) {
      for (const id of ids) {
        const packet: OpusPacket = {
          sequence: seq & 0xffff,
          timestamp: (seq * FRAME_SAMPLES) >>> 0,
          arrivalMs: 0,
          payload: packets[seq % 250] as Uint8Array,
        };
        stage.emit('packet', id, packet);
      }
      seq++;
      engine.tick();
    }
    return ((performance.now() - t0) * 1000) / ticks;
  };
  runOnce(); // warm up
  const us = median(Array.from({ length: RUNS }, runOnce));
  engine.close();
  return us;
}

/** Median µs per tick of the mixer alone (decode + mix + limiter; no encoding). */
function mixerTickUs(n: number, ticks = 500): number {
  const mixer = new Mixer({ source: { jitter: { targetDelayMs: 0 } } });
  const ids = Array.from({ length: n }, (_, i) => `s${i}`);
  for (const id of ids) mixer.addSource(id);
  let seq = 0;
  const runOnce = (): number => {
    const t0 = performance.now();
    for (let t = 0; t < ticks; t++) {
      for (const id of ids)
        mixer.push(id, {
          sequence: seq & 0xffff,
          timestamp: (seq * FRAME_SAMPLES) >>> 0,
          arrivalMs: 0,
          payload: packets[seq % 250] as Uint8Array,
        });
      seq++;
      mixer.tick();
    }
    return ((performance.now() - t0) * 1000) / ticks;
  };
  runOnce();
  const us = median(Array.from({ length: RUNS }, runOnce));
  mixer.close();
  return us;
}

printTable([
  ['raw @evan/opus (one core)', 'per second', 'µs each'],
  ['encode 20 ms mono 32 kbps', fmt(encodeRate), fmt(1e6 / encodeRate, 1)],
  ['decode 20 ms mono', fmt(decodeRate), fmt(1e6 / decodeRate, 1)],
]);
console.log('');
const rows: string[][] = [
  [
    'speakers talking',
    'mixer µs/tick',
    'engine µs/tick',
    'predicted from raw',
    'core % / space',
    'core % / speaker',
  ],
];
const summary: { n: number; eng: number; predicted: number }[] = [];
for (const n of [1, 4, 8, 13]) {
  const mix = mixerTickUs(n);
  const eng = engineTickUs(n);
  const predicted = (n + 1) * (1e6 / encodeRate) + n * (1e6 / decodeRate);
  const pct = (eng / 20_000) * 100;
  rows.push([String(n), fmt(mix, 1), fmt(eng, 1), fmt(predicted, 1), fmt(pct, 2), fmt(pct / n, 2)]);
  summary.push({ n, eng, predicted });
}
printTable(rows);
writeSummary(
  summary
    .filter((r) => r.n === 1 || r.n === 13)
    .map((r) => ({
      measure: `mixer + encoder, ${r.n} speaker${r.n > 1 ? 's' : ''} talking: core % per space`,
      value: `${fmt((r.eng / 20_000) * 100, 2)} %`,
      reference: `raw @evan/opus loop ${fmt((r.predicted / 20_000) * 100, 2)} %`,
      ratio: `${fmt(r.eng / r.predicted, 2)} ×`,
    })),
);
