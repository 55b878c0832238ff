import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Mixer, SILENCE_DB, rmsDbfs } from './Mixer.js';
import type { FrameSource } from './SpeakerSource.js';
import { FRAME_SAMPLES } from './OpusCodec.js';
import { SoftLimiter } from './SoftLimiter.js';

/** A source that plays one constant value forever (or null when value is null). */
function constant(value: number | null): FrameSource & { value: number | null } {
  return {
    value,
    pull() {
      return this.value === null ? null : new Int16Array(FRAME_SAMPLES).fill(this.value);
    },
  };
}

function allEqual(frame: Int16Array | undefined, value: number): boolean {
  return frame !== undefined && frame.length === FRAME_SAMPLES && frame.every((s) => s === value);
}

test('tick: constant inputs give their exact sum, and each mix-minus is the total minus self', () => {
  const mixer = new Mixer();
  mixer.addSource('a', constant(1000));
  mixer.addSource('b', constant(2000));
  mixer.addSource('c', constant(-500));
  const frame = mixer.tick();
  assert.ok(allEqual(frame.total, 2500));
  assert.ok(allEqual(frame.minus.get('a'), 1500));
  assert.ok(allEqual(frame.minus.get('b'), 500));
  assert.ok(allEqual(frame.minus.get('c'), 3000));
  mixer.close();
});

test('tick: a silent source hears the full total and has the silence level', () => {
  const mixer = new Mixer();
  mixer.addSource('talker', constant(1000));
  mixer.addSource('quiet', constant(null));
  const frame = mixer.tick();
  assert.ok(allEqual(frame.minus.get('quiet'), 1000));
  assert.ok(allEqual(frame.minus.get('talker'), 0));
  assert.equal(frame.levels.get('quiet'), SILENCE_DB);
  assert.equal(frame.levels.get('talker')?.toFixed(2), (20 * Math.log10(1000 / 32768)).toFixed(2));
  mixer.close();
});

test('tick: a clipped sum is limited below full scale, not wrapped', () => {
  const mixer = new Mixer();
  mixer.addSource('a', constant(30000));
  mixer.addSource('b', constant(30000));
  mixer.addSource('c', constant(30000));
  const frame = mixer.tick();
  const v = frame.total[0] as number;
  assert.ok(v > 30000 && v <= 32767, `total ${v}`);
  assert.ok(allEqual(frame.total, v));
  // Each mix-minus is 60000 before limiting: also limited, positive, and below the 3-way total.
  const m = frame.minus.get('a')?.[0] as number;
  assert.ok(m > 24576 && m <= v, `minus ${m}`);
  const neg = new Mixer();
  neg.addSource('a', constant(-32768));
  neg.addSource('b', constant(-32768));
  assert.ok((neg.tick().total[0] as number) < -30000);
  mixer.close();
  neg.close();
});

test('tick: with no sources the output continues as contiguous silent frames', () => {
  const mixer = new Mixer();
  const times: number[] = [];
  mixer.on('frame', (f) => {
    assert.ok(allEqual(f.total, 0));
    times.push(f.sampleTime);
  });
  for (let i = 0; i < 3; i++) mixer.tick();
  assert.deepEqual(times, [0, 960, 1920]);
  assert.equal(mixer.sampleTime, 2880);
  mixer.close();
});

test('removeSource: the source gets no mix-minus any more and no longer adds to the total', () => {
  const mixer = new Mixer();
  mixer.addSource('a', constant(100));
  mixer.addSource('b', constant(200));
  mixer.removeSource('b');
  const frame = mixer.tick();
  assert.equal(frame.minus.has('b'), false);
  assert.ok(allEqual(frame.total, 100));
  mixer.close();
});

test('tick: a source that throws is muted for that tick, and the others still mix', () => {
  const mixer = new Mixer();
  mixer.addSource('a', constant(100));
  mixer.addSource('bad', {
    pull() {
      throw new Error('boom');
    },
  });
  const frame = mixer.tick();
  assert.ok(allEqual(frame.total, 100));
  mixer.close();
});

test('addSource: a duplicate id is a caller bug', () => {
  const mixer = new Mixer();
  mixer.addSource('a', constant(1));
  assert.throws(() => mixer.addSource('a', constant(1)), TypeError);
  mixer.close();
});

test('close: is idempotent and stops ticking', () => {
  const mixer = new Mixer();
  mixer.on('frame', () => undefined);
  mixer.start();
  mixer.close();
  mixer.close();
  assert.equal(mixer.listenerCount(), 0);
  assert.throws(() => mixer.tick(), TypeError);
});

test('rmsDbfs: a full-scale square wave is 0 dBFS and silence is the floor', () => {
  const square = new Int16Array(FRAME_SAMPLES).map((_, i) => (i % 2 ? 32767 : -32768));
  assert.ok(Math.abs(rmsDbfs(square)) < 0.001);
  assert.equal(rmsDbfs(new Int16Array(FRAME_SAMPLES)), SILENCE_DB);
});

test('tick: quiet or loud, the total and every mix-minus are exactly the limited sums', () => {
  // Quiet sources take the path without the limiter, loud ones the limiter's: both must agree with limit().
  const limiter = new SoftLimiter();
  let seed = 3;
  const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  for (const amplitude of [1000, 6000, 20_000, 32_767]) {
    const frames = ['a', 'b', 'c', 'd'].map(() =>
      Int16Array.from({ length: FRAME_SAMPLES }, () => Math.round((2 * random() - 1) * amplitude)),
    );
    const mixer = new Mixer();
    frames.forEach((f, i) => mixer.addSource(String(i), { pull: () => f }));
    mixer.addSource('quiet', { pull: () => null });
    const mix = mixer.tick();
    for (let s = 0; s < FRAME_SAMPLES; s++) {
      const sum = frames.reduce((acc, f) => acc + (f[s] as number), 0);
      assert.equal(mix.total[s], limiter.limit(sum), `total at ${s}, amplitude ${amplitude}`);
      frames.forEach((f, i) => {
        const want = limiter.limit(sum - (f[s] as number));
        assert.equal(mix.minus.get(String(i))?.[s], want, `minus ${i} at ${s}, amplitude ${amplitude}`);
      });
    }
    assert.equal(mix.minus.get('quiet'), mix.total);
    mixer.close();
  }
});
