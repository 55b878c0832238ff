import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ToneGenerator, dbToAmplitude, toInt16 } from './ToneGenerator.js';

test('ToneGenerator.next produces the exact sine at the requested level', () => {
  const gen = new ToneGenerator({ frequencyHz: 1000, levelDbfs: -6 });
  const pcm = gen.next(48);
  const amp = dbToAmplitude(-6);
  for (let n = 0; n < 48; n++)
    assert.equal(pcm[n], toInt16(amp * Math.sin((2 * Math.PI * 1000 * n) / 48000)));
  assert.equal(pcm[12], toInt16(amp)); // a quarter period: the peak
  assert.equal(gen.position, 48);
  assert.equal(gen.next(1)[0], pcm[0], 'phase continues: 1 kHz repeats every 48 samples');
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
