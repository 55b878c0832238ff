/**
 * Audio engine cost: raw @evan/opus encode/decode rates (20 ms mono frames, 32 kbps) next to the cost of a
 * full StageMixEngine tick (jitter buffers, decode, mix, limiter, one mix-minus encode per talking speaker,
 * one encode of the total shared by the broadcast and every silent speaker) for a space with N speakers,
 * in the same process. The reference is a raw @evan/opus loop doing the same codec work per tick
 * (N decodes, N + 1 encodes, N + 1 encoders) on the same signals: its encoders get the very PCM the
 * engine's get (each mix-minus and the total), because an Opus encoder's cost depends on what it is fed:
 * with one talking, their mix-minus is silence, which is cheap to encode. The older reference, every
 * encoder fed the tone, is printed beside it. Batches are interleaved with the engine's so that all see the same load.
 * Times are this process's CPU time (see cpuMicros). Prints medians.
 */
import { Decoder, Encoder } from '@evan/opus';
import { OpusFrameDecoder, OpusFrameEncoder, FRAME_SAMPLES } from '../src/audio/OpusCodec.js';
import { Mixer } from '../src/audio/Mixer.js';
import { SoftLimiter } from '../src/audio/SoftLimiter.js';
import { StageMixEngine } from '../src/audio/StageMixEngine.js';
import { SineFrames } from '../src/testing/testSignals.js';
import { TypedEmitter } from '../src/util/TypedEmitter.js';
import type { OpusPacket, StageAudioEvents, StageAudioSource } from '../src/stage/StageAudio.js';
import { writeSummary } from './summary.js';
import { fmt, median, printTable } from './lib.js';

const RUNS = 5;

/**
 * CPU time this process has used, in µs. The batches are timed by it, not by the wall clock: on a shared
 * machine the wall clock also counts the time other processes held the core, which is noise here.
 */
function cpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

function rate(fn: () => void, iterations: number): number {
  const t0 = cpuMicros();
  for (let i = 0; i < iterations; i++) fn();
  return iterations / ((cpuMicros() - t0) / 1e6);
}

// Every speaker sends the same 440 Hz tone at −12 dBFS peak, in phase: from 5 talking on, each mix-minus
// is past the limiter's knee.
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

interface Runner {
  /** Runs a batch of ticks; returns µs per tick. */
  run(): number;
  close(): void;
}

/** µs per tick of a space with `n` speakers on stage, the first `talking` of them talking (real decodes). */
function engineRunner(n: number, talking = n, ticks = 100): Runner {
  const ids = Array.from({ length: n }, (_, i) => `s${i}`);
  const stage = new BenchStage(ids);
  const engine = new StageMixEngine({
    source: stage,
    sink: { sendToSpeaker: () => undefined },
    autoStart: false,
    mixer: { source: { jitter: { targetDelayMs: 0 } } },
  });
  let seq = 0;
  return {
    run() {
      const t0 = cpuMicros();
      for (let t = 0; t < ticks; t++) {
        for (let i = 0; i < talking; i++) {
          const packet: OpusPacket = {
            sequence: seq & 0xffff,
            timestamp: (seq * FRAME_SAMPLES) >>> 0,
            arrivalMs: 0,
            payload: packets[seq % 250] as Uint8Array,
          };
          stage.emit('packet', ids[i] as string, packet);
        }
        seq++;
        engine.tick();
      }
      return (cpuMicros() - t0) / ticks;
    },
    close: () => engine.close(),
  };
}

/**
 * What the engine's encoders are fed with `n` speakers talking, tick by tick: all play the same packets, so
 * each mix-minus is (n − 1) × the decoded tone and the total n ×, both through the engine's limiter.
 */
function enginePcm(n: number): { minus: Int16Array[]; total: Int16Array[] } {
  const dec = new OpusFrameDecoder();
  const limiter = new SoftLimiter();
  const scaled = (pcm: Int16Array, k: number) => {
    const out = new Int16Array(FRAME_SAMPLES);
    limiter.process(
      Int32Array.from(pcm, (x) => k * x),
      out,
    );
    return out;
  };
  const decoded = packets.map((p) => dec.decode(p));
  return { minus: decoded.map((pcm) => scaled(pcm, n - 1)), total: decoded.map((pcm) => scaled(pcm, n)) };
}

/**
 * µs per tick of the bare codec work of `n` talking speakers with raw @evan/opus: `n` decodes and `n + 1`
 * encodes (each speaker's mix-minus and the total), each on its own stateful encoder. With `pcm`, the
 * encoders get the engine's signals (`n` mix-minus, one total); without, every encoder gets the tone.
 */
function rawOpusRunner(n: number, pcm?: { minus: Int16Array[]; total: Int16Array[] }, ticks = 100): Runner {
  const decoders = Array.from({ length: n }, () => new Decoder({ channels: 1, sample_rate: 48_000 }));
  const encoders = Array.from({ length: n + 1 }, () => {
    const enc = new Encoder({ channels: 1, sample_rate: 48_000, application: 'audio' });
    enc.bitrate = 32_000;
    return enc;
  });
  const inputs = encoders.map((_, i) => (pcm ? (i < n ? pcm.minus : pcm.total) : frames));
  let seq = 0;
  return {
    run() {
      const t0 = cpuMicros();
      for (let t = 0; t < ticks; t++) {
        const k = seq % 250;
        for (const dec of decoders) dec.decode(packets[k] as Uint8Array);
        for (let i = 0; i < encoders.length; i++) {
          (encoders[i] as Encoder).encode((inputs[i] as Int16Array[])[k] as Int16Array);
        }
        seq++;
      }
      return (cpuMicros() - t0) / ticks;
    },
    close: () => undefined,
  };
}

/**
 * Medians of each runner, their batches interleaved (a, b, c, a, b, c, ...): on a shared machine they then
 * see the same contention, so their ratios hold even when the absolute figures move. Short batches, many
 * of them: a burst of load from elsewhere spoils one batch of each, which the median drops.
 */
function paired(runners: readonly Runner[], runs = 6 * RUNS + 1): number[] {
  for (const r of runners) r.run();
  const results = runners.map((): number[] => []);
  for (let i = 0; i < runs; i++) runners.forEach((r, k) => results[k]?.push(r.run()));
  for (const r of runners) r.close();
  return results.map(median);
}

/** Median µs per tick of the mixer alone (decode + mix + limiter; no encoding). */
function mixerTickUs(n: number, ticks = 500): number {
  const mixer = new Mixer({ source: { jitter: { targetDelayMs: 0 } } });
  const ids = Array.from({ length: n }, (_, i) => `s${i}`);
  for (const id of ids) mixer.addSource(id);
  let seq = 0;
  const runOnce = (): number => {
    const t0 = cpuMicros();
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
    return (cpuMicros() - t0) / ticks;
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
    'raw loop, same PCM',
    'engine ÷ raw',
    'raw loop, tone in',
    'engine ÷ it',
    'core % / space',
    'core % / speaker',
  ],
];
const summary: { n: number; eng: number; raw: number }[] = [];
for (const n of [1, 4, 8, 13]) {
  const mix = mixerTickUs(n);
  const [eng = 0, raw = 0, rawTone = 0] = paired([
    engineRunner(n),
    rawOpusRunner(n, enginePcm(n)),
    rawOpusRunner(n),
  ]);
  const pct = (eng / 20_000) * 100;
  rows.push([
    String(n),
    fmt(mix, 1),
    fmt(eng, 1),
    fmt(raw, 1),
    fmt(eng / raw, 2),
    fmt(rawTone, 1),
    fmt(eng / rawTone, 2),
    fmt(pct, 2),
    fmt(pct / n, 2),
  ]);
  summary.push({ n, eng, raw });
}
printTable(rows);

// A big stage where one person talks: the silent twelve hear exactly the total, encoded once for all.
const [alone = 0, oneOf13 = 0] = paired([engineRunner(1, 1), engineRunner(13, 1)]);
console.log('');
printTable([
  ['stage', 'engine µs/tick', 'core % / space', '÷ one speaker alone'],
  ['1 on stage, talking', fmt(alone, 1), fmt((alone / 20_000) * 100, 2), '1.00'],
  ['13 on stage, 1 talking', fmt(oneOf13, 1), fmt((oneOf13 / 20_000) * 100, 2), fmt(oneOf13 / alone, 2)],
]);
writeSummary([
  ...summary
    .filter((r) => r.n === 1 || r.n === 13)
    .map((r) => ({
      measure: `mixer + encoder, ${r.n} speaker${r.n > 1 ? 's' : ''} talking: core % per space`,
      value: `${fmt((r.eng / 20_000) * 100, 2)} %`,
      reference: `raw @evan/opus loop, same PCM ${fmt((r.raw / 20_000) * 100, 2)} %`,
      ratio: `${fmt(r.eng / r.raw, 2)} ×`,
    })),
  {
    measure: 'mixer + encoder, 13 on stage, 1 talking: core % per space',
    value: `${fmt((oneOf13 / 20_000) * 100, 2)} %`,
    reference: `1 speaker alone ${fmt((alone / 20_000) * 100, 2)} %`,
    ratio: `${fmt(oneOf13 / alone, 2)} ×`,
  },
]);
