import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FRAME_SAMPLES, OpusFrameEncoder } from '../audio/OpusCodec.js';
import { PartPackager } from '../broadcast/index.js';
import { ToneGenerator } from '../bot/ToneGenerator.js';
import { AudioAnalyzer, percentile } from './AudioAnalyzer.js';
import { demuxFragments } from './Fmp4Demux.js';
import { PulseOnsets } from './PulseOnsets.js';
import { Spectrum } from './Spectrum.js';
import { opusParts } from '../testing/testSignals.js';

/** A 440 Hz tone at -18 dBFS plus a 660 Hz one, with 10 ms 1 kHz pulses replacing the 440 every 1000 ms from `phase`. */
function signal(seconds: number, pulsePhase: number): Float32Array {
  const pulsed = new ToneGenerator({ frequencyHz: 440, levelDbfs: -18, pulse: { everyMs: 1000 } });
  const other = new ToneGenerator({ frequencyHz: 660, levelDbfs: -18 });
  const out = new Float32Array(seconds * 48_000);
  for (let n = 0; n < out.length; n++) out[n] = pulsed.valueAt(n + 48_000 - pulsePhase) + other.valueAt(n);
  return out;
}

test('PulseOnsets: finds every pulse onset to within one hop, whatever the chunking, next to other tones', () => {
  const x = signal(5, 12_345); // onsets at 12 345 + k·48 000
  const detector = new PulseOnsets();
  const found: number[] = [];
  for (let at = 0, size = 1; at < x.length; at += size, size = (size * 7 + 3) % 2000) {
    found.push(...detector.push(x.subarray(at, at + size)));
  }
  const expected = [0, 1, 2, 3, 4].map((k) => 12_345 + k * 48_000);
  assert.equal(found.length, expected.length, `found ${found.join(',')}`);
  found.forEach((f, k) =>
    assert.ok(Math.abs(f - (expected[k] as number)) <= 16, `onset ${f} vs ${expected[k]}`),
  );
});

test('PulseOnsets: nothing in tones alone, and nothing across a reset', () => {
  const tones = new Float32Array(96_000).map((_, n) => 0.125 * Math.sin((2 * Math.PI * 660 * n) / 48_000));
  assert.deepEqual(new PulseOnsets().push(tones), []);
});

test('Spectrum: peaks at the tones, loudest first, and the level re a full-scale sine', () => {
  const s = new Spectrum();
  s.push(new Float32Array(4 * 48_000).map((_, n) => 0.25 * Math.sin((2 * Math.PI * 440 * n) / 48_000)));
  const peaks = s.peaks();
  assert.deepEqual(
    peaks.map((p) => p.frequencyHz),
    [440],
  );
  assert.ok(Math.abs((peaks[0]?.levelDbfs ?? 0) - 20 * Math.log10(0.25)) < 0.5);
  assert.ok(Math.abs(s.levelDbfs - 20 * Math.log10(0.25)) < 0.01);
  const two = new Spectrum();
  two.push(signal(4, 0), (block) => block.length === 0);
  assert.deepEqual(
    two
      .peaks()
      .map((p) => p.frequencyHz)
      .filter((f) => Math.abs(f - 1000) > 5) // the pulses, when not left out
      .sort(),
    [440, 660],
  );
});

test('AudioAnalyzer: pulses through real Opus, fMP4 and PDT give the exact delays of each reference', () => {
  const encoder = new OpusFrameEncoder();
  const T0 = Date.UTC(2024, 0, 1, 0, 0, 0, 0);
  const packager = new PartPackager({
    preSkip: encoder.preSkip,
    startedAtMs: T0,
    partTargetS: 0.5,
    segmentTargetS: 2,
  });
  const parts: Uint8Array[] = [];
  packager.on('part', (p) => parts.push(p.bytes));
  // Pulses at wall-clock whole seconds: the mix started at T0 + 0.25 s, so the first is 0.75 s in.
  const x = signal(6, 36_000);
  const pcm = new Int16Array(FRAME_SAMPLES);
  for (let f = 0; f * FRAME_SAMPLES < x.length; f++) {
    for (let i = 0; i < FRAME_SAMPLES; i++) pcm[i] = Math.round((x[f * FRAME_SAMPLES + i] ?? 0) * 32767);
    packager.push({
      opus: encoder.encode(pcm),
      sampleTime: f * FRAME_SAMPLES,
      durationSamples: FRAME_SAMPLES,
    });
  }
  const startedAt = T0 + 250;
  // Each part "arrives" 100 ms after its last sample was mixed.
  const run = (reference: ConstructorParameters<typeof AudioAnalyzer>[0]['reference']) => {
    const a = new AudioAnalyzer({ preSkip: encoder.preSkip, ...(reference ? { reference } : {}) });
    parts.forEach((bytes, k) => {
      const [frag] = demuxFragments(bytes);
      assert.ok(frag);
      a.push(frag, startedAt + (k + 1) * 500 + 100, startedAt + (frag.baseDecodeTime / 48_000) * 1000);
    });
    return a;
  };
  const emissions = [1, 2, 3, 4, 5, 6].map((s) => T0 + s * 1000);
  // The pulse emitted at T0 + (k + 1) s is at 0.75 + k s of media, in part ⌊(0.75 + k) / 0.5⌋, which arrives
  // at T0 + 0.25 s + (that + 1) · 0.5 s + 0.1 s: 350 ms after its emission.
  const expectedG2g = [0, 1, 2, 3, 4, 5].map(
    (k) => 250 + (Math.floor((0.75 + k) / 0.5) + 1) * 500 + 100 - (k + 1) * 1000,
  );
  for (const ref of [
    { kind: 'wallclock', everyMs: 1000 } as const,
    { kind: 'known', emissions: () => emissions } as const,
  ]) {
    const a = run(ref);
    assert.equal(a.onsets.length, 6);
    assert.deepEqual(
      a.delaysMs.map((d) => Math.round(d)),
      expectedG2g,
      ref.kind,
    );
  }
  const pdt = run(undefined);
  // Against the PDT the onset is found within a hop (1/3 ms) of where it was mixed.
  pdt.delaysMs.forEach((d, k) => assert.ok(Math.abs(d - (expectedG2g[k] as number)) <= 1, `${d}`));
  const stats = pdt.delay();
  assert.ok(stats && Math.abs(stats.p50 - 350) <= 1 && Math.abs(stats.p99 - 350) <= 1, JSON.stringify(stats));
  assert.deepEqual(
    pdt.spectrum
      .peaks()
      .map((p) => p.frequencyHz)
      .sort(),
    [440, 660],
    'blocks holding a pulse are left out of the spectrum',
  );
});

test('percentile: nearest rank', () => {
  assert.equal(percentile([1, 2, 3, 4], 50), 2);
  assert.equal(percentile([1, 2, 3, 4], 99), 4);
  assert.equal(percentile([5], 99), 5);
});

test('AudioAnalyzer: digital silence through real Opus and fMP4 is counted to the frame, with its longest run', () => {
  const tone = new ToneGenerator({ frequencyHz: 440, levelDbfs: -30 });
  // 1 s of tone, 1.5 s of digital silence, 1 s of tone, 0.5 s of silence: 4 s in 20 ms frames.
  const silentFrame = (f: number) => (f >= 50 && f < 125) || f >= 175;
  const { parts, preSkip } = opusParts(200, (f, pcm) => {
    if (silentFrame(f)) return;
    for (let i = 0; i < FRAME_SAMPLES; i++) pcm[i] = Math.round(tone.valueAt(f * FRAME_SAMPLES + i) * 32767);
  });
  const a = new AudioAnalyzer({ preSkip });
  for (const bytes of parts) for (const frag of demuxFragments(bytes)) a.push(frag, 0, undefined);
  // Decoded frame k holds input from 312 samples (the encoder's lookahead) before frame k: a silent stretch
  // of frames [a, b) decodes silent over [a + 2, b): one frame for the lookahead, one for the decoder's
  // fade-out of the tone. So 75 → 73 frames, and 25 → 23 at the end.
  assert.equal(a.longestSilence, 73 * FRAME_SAMPLES);
  assert.equal(a.silentSamples, (73 + 23) * FRAME_SAMPLES);
});
