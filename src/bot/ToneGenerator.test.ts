import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ToneGenerator, dbToAmplitude, toInt16 } from './ToneGenerator.js';

test('ToneGenerator.read produces the exact sine at the requested level', () => {
  const gen = new ToneGenerator({ frequencyHz: 1000, levelDbfs: -6 });
  const pcm = gen.read(0, 48);
  const amp = dbToAmplitude(-6);
  for (let n = 0; n < 48; n++)
    assert.equal(pcm[n], toInt16(amp * Math.sin((2 * Math.PI * 1000 * n) / 48000)));
  assert.equal(pcm[12], toInt16(amp)); // a quarter period: the peak
  assert.equal(gen.read(48, 1)[0], pcm[0], 'phase continues: 1 kHz repeats every 48 samples');
});

test('ToneGenerator.read is addressed by position: a sender that skips frames skips their samples', () => {
  // The stage bench's bots once read sequentially while their RTP timestamps skipped a stall's frames:
  // every pulse after a stall played frames later than the bot said it was sent (a phantom delay).
  const gen = new ToneGenerator({
    frequencyHz: 400,
    levelDbfs: -18,
    pulse: { everyMs: 1000, durationMs: 10, frequencyHz: 2000 },
  });
  const frame = 960;
  const pulseFrame = 50; // the pulse at 1 s starts the frame at sample 48,000
  assert.equal(gen.pulseStartsIn(pulseFrame * frame, frame), true);
  // Read only frames 0-9 and then 50, as a sender that stalled through frames 10-49 would.
  for (let i = 0; i < 10; i++) gen.read(i * frame, frame);
  const pcm = gen.read(pulseFrame * frame, frame);
  assert.equal(pcm[6], toInt16(dbToAmplitude(-6) * Math.sin((2 * Math.PI * 2000 * (48_000 + 6)) / 48000)));
  assert.deepEqual(gen.read(pulseFrame * frame, frame), pcm, 'the same position reads the same samples');
});

test('ToneGenerator pulses replace the tone for durationMs every everyMs', () => {
  const gen = new ToneGenerator({
    frequencyHz: 440,
    levelDbfs: -20,
    pulse: { everyMs: 100, durationMs: 10, frequencyHz: 2000, levelDbfs: 0 },
  });
  assert.equal(gen.valueAt(6), Math.sin((2 * Math.PI * 2000 * 6) / 48000)); // inside the first pulse
  assert.equal(gen.valueAt(480), dbToAmplitude(-20) * Math.sin((2 * Math.PI * 440 * 480) / 48000));
  assert.equal(gen.pulseStartsIn(0, 960), true);
  assert.equal(gen.pulseStartsIn(960, 960), false);
  assert.equal(gen.pulseStartsIn(4800, 960), true);
  assert.equal(gen.pulseStartsIn(4801, 960), false);
});

test('ToneGenerator rejects impossible settings', () => {
  assert.throws(() => new ToneGenerator({ frequencyHz: 30000, levelDbfs: -6 }), TypeError);
  assert.throws(() => new ToneGenerator({ frequencyHz: 440, levelDbfs: 3 }), TypeError);
  assert.throws(
    () => new ToneGenerator({ frequencyHz: 440, levelDbfs: -6, pulse: { everyMs: 10, durationMs: 10 } }),
    TypeError,
  );
});

test('ToneGenerator pauses: silence for durationMs at the end of every everyMs, pulses included', () => {
  const gen = new ToneGenerator({
    frequencyHz: 400,
    levelDbfs: -18,
    pulse: { everyMs: 100, durationMs: 10 },
    pause: { everyMs: 400, durationMs: 100 },
  });
  assert.notEqual(gen.valueAt(14_399), 0, 'before the pause');
  for (const n of [14_400, 14_406, 19_199]) assert.equal(gen.valueAt(n), 0, `sample ${n} is in the pause`);
  assert.notEqual(gen.valueAt(19_206), 0, 'the next period starts with its pulse');
  assert.throws(
    () => new ToneGenerator({ frequencyHz: 400, levelDbfs: -18, pause: { everyMs: 10, durationMs: 10 } }),
  );
});
