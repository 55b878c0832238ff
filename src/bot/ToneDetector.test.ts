import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dbToAmplitude, ToneGenerator } from './ToneGenerator.js';
import { PulseDetector, ToneDetector, detectTones, int16ToFloat, toneAmplitude } from './ToneDetector.js';

function sine(hz: number, db: number, n: number, rate = 48000): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = dbToAmplitude(db) * Math.sin((2 * Math.PI * hz * i) / rate);
  return out;
}

test('toneAmplitude measures a whole-cycle sine exactly, with or without window', () => {
  const x = sine(440, -20, 4800); // 100 ms: 44 whole cycles
  assert.ok(Math.abs(toneAmplitude(x, 48000, 440) - 0.1) < 1e-9);
  assert.ok(Math.abs(toneAmplitude(x, 48000, 440, 'rect') - 0.1) < 1e-9);
});

test('detectTones reports the tones present, loudest first, and not the absent ones', () => {
  const a = sine(440, -20, 4800);
  const b = sine(660, -30, 4800);
  const mix = a.map((v, i) => v + (b[i] ?? 0));
  const tones = detectTones(mix, 48000, [440, 660, 1000, 880]);
  assert.deepEqual(
    tones.map((t) => t.frequencyHz),
    [440, 660],
  );
  assert.ok(Math.abs((tones[0]?.levelDbfs ?? 0) + 20) < 0.01);
  assert.ok(Math.abs((tones[1]?.levelDbfs ?? 0) + 30) < 0.01);
  assert.deepEqual(detectTones(new Float32Array(4800), 48000, [440]), []);
});

test('ToneDetector reports only the most recent window', () => {
  const det = new ToneDetector({ candidatesHz: [440, 660], windowMs: 100 });
  assert.deepEqual(det.tones(), []);
  det.push(sine(440, -10, 4800));
  assert.equal(det.tones()[0]?.frequencyHz, 440);
  det.push(sine(660, -10, 4800)); // fills the whole 100 ms window
  assert.deepEqual(
    det.tones().map((t) => t.frequencyHz),
    [660],
  );
  det.reset();
  assert.deepEqual(det.tones(), []);
});

test('PulseDetector finds the onset frame of each pulse once', () => {
  const gen = new ToneGenerator({
    frequencyHz: 440,
    levelDbfs: -20,
    pulse: { everyMs: 200, durationMs: 10 },
  });
  const det = new PulseDetector();
  const onsets: number[] = [];
  for (let frame = 0; frame < 50; frame++) {
    const at = det.push(int16ToFloat(gen.read(frame * 960, 960)), frame * 20);
    if (at !== undefined) onsets.push(at);
  }
  assert.deepEqual(onsets, [0, 200, 400, 600, 800]);
});
