import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StageMixEngine, type EncodedMixFrame } from './StageMixEngine.js';
import { FRAME_SAMPLES, OpusFrameDecoder, OpusFrameEncoder } from './OpusCodec.js';
import { SineFrames, goertzelPower } from './testSignals.js';
import { TypedEmitter } from '../util/TypedEmitter.js';
import type { StageAudioEvents, StageAudioSink, StageAudioSource } from '../stage/StageAudio.js';

class FakeStage extends TypedEmitter<StageAudioEvents> implements StageAudioSource {
  constructor(readonly ids: string[]) {
    super();
  }
  speakers(): readonly string[] {
    return this.ids;
  }
}

class RecordingSink implements StageAudioSink {
  readonly sent = new Map<string, { opus: Uint8Array; ts: number }[]>();
  sendToSpeaker(id: string, opus: Uint8Array, rtpTimestamp: number): void {
    const list = this.sent.get(id) ?? [];
    list.push({ opus, ts: rtpTimestamp });
    this.sent.set(id, list);
  }
}

function decodeAll(packets: Uint8Array[]): Int16Array {
  const dec = new OpusFrameDecoder();
  const out = new Int16Array(packets.length * FRAME_SAMPLES);
  packets.forEach((p, i) => out.set(dec.decode(p), i * FRAME_SAMPLES));
  return out;
}

test('tick: each speaker gets everyone else (mix-minus), the broadcast gets everyone', () => {
  const stage = new FakeStage(['alice', 'bob']);
  const sink = new RecordingSink();
  const engine = new StageMixEngine({
    source: stage,
    sink,
    autoStart: false,
    mixer: { source: { jitter: { targetDelayMs: 0 } } },
  });
  const frames: EncodedMixFrame[] = [];
  engine.on('frame', (f) => frames.push(f));
  const speaking: string[] = [];
  engine.on('speaking', (id, on) => speaking.push(`${id}:${on}`));

  const enc = new OpusFrameEncoder();
  const tone = new SineFrames(440, 12000);
  for (let i = 0; i < 50; i++) {
    stage.emit('packet', 'alice', {
      sequence: i,
      timestamp: 1234 + i * FRAME_SAMPLES,
      arrivalMs: i * 20,
      payload: enc.encode(tone.next()),
    });
    engine.tick();
  }

  assert.deepEqual(
    frames.map((f) => f.sampleTime),
    Array.from({ length: 50 }, (_, i) => i * FRAME_SAMPLES),
  );
  const bob = sink.sent.get('bob') ?? [];
  const alice = sink.sent.get('alice') ?? [];
  assert.equal(bob.length, 50);
  assert.equal(alice.length, 50);
  assert.deepEqual(
    bob.slice(0, 3).map((s) => s.ts),
    [0, 960, 1920],
  );
  const bobHears = decodeAll(bob.map((s) => s.opus)).subarray(10 * FRAME_SAMPLES);
  const aliceHears = decodeAll(alice.map((s) => s.opus)).subarray(10 * FRAME_SAMPLES);
  const broadcast = decodeAll(frames.map((f) => f.opus)).subarray(10 * FRAME_SAMPLES);
  assert.ok(goertzelPower(bobHears, 440) > 1e6, 'bob hears alice');
  assert.ok(goertzelPower(broadcast, 440) > 1e6, 'the broadcast has alice');
  assert.ok(
    goertzelPower(aliceHears, 440) < goertzelPower(bobHears, 440) / 1000,
    'alice does not hear herself',
  );
  assert.deepEqual(speaking, ['alice:true']);
  engine.close();
});

test('speakerLeft: stops the mix-minus for that speaker and clears their speaking state', () => {
  const stage = new FakeStage(['a', 'b']);
  const sink = new RecordingSink();
  const engine = new StageMixEngine({ source: stage, sink, autoStart: false });
  engine.tick();
  stage.emit('speakerLeft', 'b');
  engine.tick();
  assert.equal(sink.sent.get('b')?.length, 1);
  assert.equal(sink.sent.get('a')?.length, 2);
  assert.deepEqual(engine.speakers(), ['a']);
  stage.emit('speakerJoined', 'c');
  engine.tick();
  assert.equal(sink.sent.get('c')?.length, 1);
  engine.close();
});

test('close: is idempotent and removes every listener it added to the stage', () => {
  const stage = new FakeStage([]);
  const engine = new StageMixEngine({ source: stage, sink: new RecordingSink() });
  assert.equal(stage.listenerCount(), 3);
  engine.close();
  engine.close();
  assert.equal(stage.listenerCount(), 0);
  assert.equal(engine.listenerCount(), 0);
});

test('sendToSpeaker: a sink that throws does not stop the mix', () => {
  const stage = new FakeStage(['a']);
  const engine = new StageMixEngine({
    source: stage,
    sink: {
      sendToSpeaker() {
        throw new Error('peer gone');
      },
    },
    autoStart: false,
  });
  let frames = 0;
  engine.on('frame', () => frames++);
  engine.tick();
  engine.tick();
  assert.equal(frames, 2);
  engine.close();
});

test('packet: a straggler packet after speakerLeft does not bring the speaker back', () => {
  const stage = new FakeStage(['a', 'b']);
  const sink = new RecordingSink();
  const engine = new StageMixEngine({ source: stage, sink, autoStart: false });
  stage.emit('speakerLeft', 'b');
  stage.emit('packet', 'b', { sequence: 1, timestamp: 960, arrivalMs: 0, payload: Uint8Array.of(0xf8, 0) });
  engine.tick();
  assert.deepEqual(engine.speakers(), ['a']);
  assert.equal(sink.sent.has('b'), false);
  engine.close();
});

test('a stalled event loop: the broadcast is filled with silence and stays on wall time, without gaps', async () => {
  const stage = new FakeStage(['a']);
  const engine = new StageMixEngine({ source: stage, sink: new RecordingSink() });
  const frames: EncodedMixFrame[] = [];
  engine.on('frame', (f) => frames.push(f));
  const started = performance.now();
  await new Promise((r) => setTimeout(r, 100));
  const until = performance.now() + 400; // a 400 ms stall: far past the 5-tick catch-up
  while (performance.now() < until);
  await new Promise((r) => setTimeout(r, 100));
  const elapsedTicks = (performance.now() - started) / 20;
  engine.close();
  frames.forEach((f, i) => assert.equal(f.sampleTime, i * FRAME_SAMPLES, `frame ${i} is contiguous`));
  // On wall time within the catch-up window (5 ticks) and the tick in progress; a broadcast that fell
  // behind would be ~15 frames short here.
  assert.ok(Math.abs(frames.length - elapsedTicks) <= 7, `${frames.length} frames in ${elapsedTicks} ticks`);
  const decoded = decodeAll(frames.map((f) => f.opus));
  assert.equal(decoded.length, frames.length * FRAME_SAMPLES);
});
