import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SpeakerSource } from './SpeakerSource.js';
import { Encoder } from '@evan/opus';
import { FRAME_SAMPLES, OpusFrameDecoder, OpusFrameEncoder } from './OpusCodec.js';
import { SineFrames } from '../testing/testSignals.js';
import type { OpusPacket } from '../stage/StageAudio.js';

function tonePackets(n: number, start = 0): OpusPacket[] {
  const enc = new OpusFrameEncoder();
  const tone = new SineFrames(440, 10000);
  return Array.from({ length: n }, (_, i) => ({
    sequence: start + i,
    timestamp: (start + i) * FRAME_SAMPLES,
    arrivalMs: 0,
    payload: enc.encode(tone.next()),
  }));
}

const peak = (f: Int16Array) => f.reduce((m, s) => Math.max(m, Math.abs(s)), 0);

test('pull: when packets stop (mute), the output fades to exact silence without a jump', () => {
  const source = new SpeakerSource('a', { jitter: { targetDelayMs: 0, idleAfterMs: 100 } });
  const frames: Int16Array[] = [];
  for (const p of tonePackets(20)) {
    source.push(p);
    frames.push((source.pull() as Int16Array).slice()); // the source reuses its frame: keep a copy
  }
  assert.ok(peak(frames[19] as Int16Array) > 5000);
  // Stage stops delivering: PLC for < 100 ms, then one faded tail frame, then nothing.
  const tail: (Int16Array | null)[] = [];
  for (let i = 0; i < 10; i++) tail.push(source.pull()?.slice() ?? null);
  const lastSound = tail.findLastIndex((f) => f !== null);
  assert.ok(lastSound >= 0 && lastSound < 6, `last sound at ${lastSound}`);
  assert.ok(tail.slice(lastSound + 1).every((f) => f === null));
  const fadeOut = tail[lastSound] as Int16Array;
  assert.equal(fadeOut.length, FRAME_SAMPLES);
  assert.equal(fadeOut[FRAME_SAMPLES - 1], 0);
  // No sample-to-sample jump bigger than the tone itself produces (~1/8 of its amplitude per sample).
  const all = [...frames.flatMap((f) => [...f]), ...tail.flatMap((f) => (f ? [...f] : []))];
  for (let i = 1; i < all.length; i++) {
    assert.ok(Math.abs((all[i] as number) - (all[i - 1] as number)) < 3000, `jump at ${i}`);
  }
});

test('pull: unmuting after a pause resumes with a fade-in, after the target delay', () => {
  const source = new SpeakerSource('a', { jitter: { targetDelayMs: 40 } });
  for (const p of tonePackets(3)) source.push(p);
  for (let i = 0; i < 20; i++) source.pull();
  assert.equal(source.pull(), null);
  for (const p of tonePackets(3, 10_000)) source.push(p);
  assert.equal(source.pull(), null);
  assert.equal(source.pull(), null);
  const first = source.pull() as Int16Array;
  assert.equal(first.length, FRAME_SAMPLES);
  assert.ok(Math.abs(first[0] as number) < 50, 'starts from silence');
});

test('pull: an undecodable packet is concealed, not fatal', () => {
  const source = new SpeakerSource('a', { jitter: { targetDelayMs: 0 } });
  const packets = tonePackets(3);
  packets[1] = { ...(packets[1] as OpusPacket), payload: new Uint8Array([0xff, 0xff, 0xff]) };
  for (const p of packets) source.push(p);
  for (let i = 0; i < 3; i++) assert.equal(source.pull()?.length, FRAME_SAMPLES);
  assert.equal(source.stats.decodeErrors, 1);
});

test('end: the source fades out and reports finished', () => {
  const source = new SpeakerSource('a', { jitter: { targetDelayMs: 0 } });
  for (const p of tonePackets(5)) source.push(p);
  source.pull();
  source.end();
  const tail = source.pull() as Int16Array;
  assert.equal(tail[FRAME_SAMPLES - 1], 0);
  assert.equal(source.pull(), null);
  assert.equal(source.finished, true);
  assert.equal(source.push(tonePackets(1)[0] as OpusPacket), 'ended');
});

test('pull: 10 ms packets are put together into whole 20 ms frames, in order', () => {
  const encoder = new Encoder({ channels: 1, sample_rate: 48_000, application: 'audio' });
  const tone = new SineFrames(440, 10000);
  const halves = Array.from({ length: 20 }, () => tone.next()).flatMap((f) => [
    f.slice(0, 480),
    f.slice(480),
  ]);
  const packets: OpusPacket[] = halves.map((pcm, i) => ({
    sequence: i,
    timestamp: i * 480,
    arrivalMs: 0,
    payload: encoder.encode(pcm),
  }));
  const reference = new OpusFrameDecoder();
  const want = packets.map((p) => reference.decode(p.payload));
  const source = new SpeakerSource('a', { jitter: { targetDelayMs: 0 } });
  for (let f = 0; f < 20; f++) {
    source.push(packets[2 * f] as OpusPacket);
    source.push(packets[2 * f + 1] as OpusPacket);
    const frame = source.pull() as Int16Array;
    assert.equal(frame.length, FRAME_SAMPLES);
    if (f === 0) continue; // faded in
    const expected = [...(want[2 * f] as Int16Array), ...(want[2 * f + 1] as Int16Array)];
    assert.deepEqual([...frame], expected, `frame ${f}`);
  }
});
