import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FRAME_SAMPLES, OpusFrameDecoder, OpusFrameEncoder, opusPacketSamples } from './OpusCodec.js';
import { SineFrames, dominantFrequency } from '../testing/testSignals.js';

const CANDIDATES = [220, 330, 440, 550, 660, 880];

test('OpusFrameEncoder: PreSkip is the libopus lookahead, 312 samples at 48 kHz', () => {
  assert.equal(new OpusFrameEncoder().preSkip, 312);
});

test('encode/decode: a 440 Hz tone survives the round trip as 20 ms frames of 960 samples', () => {
  const enc = new OpusFrameEncoder({ bitrate: 32_000 });
  const dec = new OpusFrameDecoder();
  const tone = new SineFrames(440, 8000);
  const out: number[] = [];
  for (let i = 0; i < 25; i++) {
    const packet = enc.encode(tone.next());
    assert.equal(opusPacketSamples(packet), FRAME_SAMPLES);
    const pcm = dec.decode(packet);
    assert.equal(pcm.length, FRAME_SAMPLES);
    out.push(...pcm);
  }
  assert.equal(dominantFrequency(out.slice(4800), CANDIDATES), 440);
});

test('conceal: continues the tone for a lost frame, then fades towards silence', () => {
  const enc = new OpusFrameEncoder();
  const dec = new OpusFrameDecoder();
  const tone = new SineFrames(440, 8000);
  for (let i = 0; i < 10; i++) dec.decode(enc.encode(tone.next()));
  const first = dec.conceal();
  assert.equal(first.length, FRAME_SAMPLES);
  assert.equal(dominantFrequency(first, CANDIDATES), 440);
  let last = first;
  for (let i = 0; i < 10; i++) last = dec.conceal();
  const peak = (f: Int16Array) => f.reduce((m, s) => Math.max(m, Math.abs(s)), 0);
  assert.ok(peak(last) < peak(first) / 10, `PLC did not fade: ${peak(first)} -> ${peak(last)}`);
});

test('decode: a corrupt packet throws (the source turns it into PLC)', () => {
  assert.throws(() => new OpusFrameDecoder().decode(new Uint8Array([0xff, 0xff, 0xff])));
});

test('opusPacketSamples: reads frame size and count from the TOC', () => {
  assert.equal(opusPacketSamples(new Uint8Array([0x08])), 960); // SILK NB 20 ms, 1 frame
  assert.equal(opusPacketSamples(new Uint8Array([0x11])), 3840); // SILK 40 ms, 2 frames
  assert.equal(opusPacketSamples(new Uint8Array([0xff, 0xff])), 0); // 63 × 20 ms: malformed
  assert.equal(opusPacketSamples(new Uint8Array([0xfb, 0x03])), 2880); // CELT 20 ms, code 3 × 3
  assert.equal(opusPacketSamples(new Uint8Array([])), 0);
});

test('OpusFrameEncoder: rejects a frame that is not 20 ms', () => {
  assert.throws(() => new OpusFrameEncoder().encode(new Int16Array(480)), TypeError);
});
