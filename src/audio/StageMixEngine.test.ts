import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  SHARE_AFTER_QUIET_TICKS,
  StageMixEngine,
  type EncodedMixFrame,
  type FrameEncoder,
} from './StageMixEngine.js';
import type { MixerClock } from './Mixer.js';
import type { FrameSource } from './SpeakerSource.js';
import { FRAME_SAMPLES, OpusFrameDecoder, OpusFrameEncoder } from './OpusCodec.js';
import { SineFrames, goertzelPower } from '../testing/testSignals.js';
import { amplitudeToDb, int16ToFloat, toneAmplitude } from '../bot/ToneDetector.js';
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

/** A clock the test moves: time passes with the loop free (`advance`), or while it is blocked (`stall`). */
class FakeClock implements MixerClock {
  #now = 0;
  #timers: { at: number; fn: () => void }[] = [];
  now(): number {
    return this.#now;
  }
  schedule(fn: () => void, delayMs: number): () => void {
    const timer = { at: this.#now + delayMs, fn };
    this.#timers.push(timer);
    return () => (this.#timers = this.#timers.filter((t) => t !== timer));
  }
  /** Time passes and each timer fires when due. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      const next = this.#timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.#timers = this.#timers.filter((t) => t !== next);
      this.#now = Math.max(this.#now, next.at);
      next.fn();
    }
    this.#now = end;
  }
  /** The event loop is blocked for `ms`: time passes, then whatever came due runs, late. */
  stall(ms: number): void {
    this.#now += ms;
    this.advance(0);
  }
}

type LogEntry =
  | { kind: 'pull'; id: string; value: number }
  | { kind: 'encode' }
  | { kind: 'send'; id: string; pcm: Int16Array; opus: Uint8Array }
  | { kind: 'frame'; pcm: Int16Array; sampleTime: number; opus: Uint8Array };

/** An "encoder" whose packet is the PCM itself, so the test reads exactly what each speaker was sent. */
function pcmEncoder(log: LogEntry[]): FrameEncoder {
  return {
    preSkip: 312,
    encode(pcm) {
      log.push({ kind: 'encode' });
      return new Uint8Array(pcm.slice().buffer);
    },
    reset() {},
  };
}
const asPcm = (packet: Uint8Array) => new Int16Array(packet.slice().buffer);

/**
 * A speaker playing one constant value, silent on a pattern of its own pulls; logged as it is pulled.
 * Once ended it plays one more frame (its fade-out), then finishes.
 */
function constantSpeaker(
  id: string,
  value: number,
  silentWhen: (pull: number) => boolean,
  log: LogEntry[],
): FrameSource {
  let pulls = 0;
  let ending = false;
  let finished = false;
  return {
    get finished() {
      return finished;
    },
    end() {
      ending = true;
    },
    pull() {
      if (finished) return null;
      if (ending) finished = true;
      if (!ending && silentWhen(pulls++)) return null;
      log.push({ kind: 'pull', id, value });
      return new Int16Array(FRAME_SAMPLES).fill(value);
    },
  };
}

test('mix-minus under late, bunched and skipped ticks: each speaker is sent exactly everyone else, never themself', () => {
  const log: LogEntry[] = [];
  const clock = new FakeClock();
  // Powers of ten: any sum shows exactly whose frames are in it.
  const values: Record<string, number> = { a: 1, b: 10, c: 100, d: 1000, e: 10_000 };
  const silentWhen: Record<string, (k: number) => boolean> = {
    a: () => false,
    b: (k) => k % 2 === 1,
    c: (k) => k % 3 === 0,
    d: (k) => k % 5 !== 0,
    e: (k) => k % 40 >= 5, // long pauses: shares the total, then talks again
  };
  const stage = new FakeStage(['a', 'b', 'c', 'd', 'e']);
  const engine = new StageMixEngine({
    source: stage,
    sink: { sendToSpeaker: (id, opus) => log.push({ kind: 'send', id, pcm: asPcm(opus), opus }) },
    mixer: { clock },
    encoder: () => pcmEncoder(log),
    sourceFor: (id) => constantSpeaker(id, values[id] ?? 0, silentWhen[id] ?? (() => false), log),
  });
  engine.on('frame', (f) =>
    log.push({ kind: 'frame', pcm: asPcm(f.opus), sampleTime: f.sampleTime, opus: f.opus }),
  );

  // On time, late by less than the catch-up (bunched ticks), and stalled far past it (skipped ticks).
  const steps: ['advance' | 'stall', number][] = [];
  let seed = 7;
  for (let i = 0; i < 120; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const r = seed % 10;
    steps.push(
      r < 5
        ? ['advance', 20]
        : r < 7
          ? ['stall', 30 + (seed % 90)]
          : r < 9
            ? ['advance', 7]
            : ['stall', 150 + (seed % 400)],
    );
  }
  steps.forEach(([how, ms], i) => {
    if (i === 60) {
      // c reconnects: the old session fades out while the new one joins; neither reaches the new c.
      stage.emit('speakerLeft', 'c');
      stage.emit('speakerJoined', 'c');
    }
    if (how === 'advance') clock.advance(ms);
    else clock.stall(ms);
  });
  engine.close();

  // Split the log into ticks (each ends with its broadcast frame) and check every one exactly.
  let tick: LogEntry[] = [];
  let mixed = 0;
  let skipped = 0;
  let sharedSends = 0;
  let resumes = 0;
  const quiet = new Map<string, number>(); // mixed ticks in a row each speaker added nothing
  const sharedLastTick = new Set<string>();
  const frames: number[] = [];
  for (const entry of log) {
    if (entry.kind !== 'frame') {
      tick.push(entry);
      continue;
    }
    frames.push(entry.sampleTime);
    const pulls = tick.filter((e) => e.kind === 'pull');
    const sent = tick.filter((e) => e.kind === 'send');
    const encodes = tick.filter((e) => e.kind === 'encode').length;
    tick = [];
    if (pulls.length === 0) {
      // A skipped tick, filled with silence for the broadcast; speakers get nothing for it.
      skipped++;
      assert.equal(sent.length, 0);
      assert.ok(entry.pcm.every((x) => x === 0));
      continue;
    }
    mixed++;
    const sum = (except?: string) => pulls.reduce((acc, p) => (p.id === except ? acc : acc + p.value), 0);
    assert.ok(
      entry.pcm.every((x) => x === sum()),
      `broadcast at ${entry.sampleTime}`,
    );
    assert.deepEqual(sent.map((e) => e.id).sort(), ['a', 'b', 'c', 'd', 'e']);
    let ownEncodes = 0;
    let primes = 0;
    for (const e of sent) {
      const want = sum(e.id);
      assert.ok(
        e.pcm.every((x) => x === want),
        `${e.id} at ${entry.sampleTime}: got ${e.pcm[0]}, want ${want} (everyone but ${e.id})`,
      );
      const q = pulls.some((p) => p.id === e.id) ? 0 : (quiet.get(e.id) ?? SHARE_AFTER_QUIET_TICKS) + 1;
      quiet.set(e.id, q);
      if (e.opus === entry.opus) {
        // The shared packet: only for someone the total's encoder has not heard for that many ticks.
        assert.ok(q >= SHARE_AFTER_QUIET_TICKS, `${e.id} shares the total after ${q} quiet ticks`);
        sharedSends++;
        sharedLastTick.add(e.id);
      } else {
        ownEncodes++;
        if (sharedLastTick.delete(e.id)) primes++;
      }
    }
    resumes += primes;
    // One encode for the total, one per speaker not sharing it, one to prime an encoder coming back.
    assert.equal(encodes, 1 + ownEncodes + primes, `encodes at ${entry.sampleTime}`);
  }
  // Every 20 ms of clock time has its frame, contiguous, whatever the ticks did.
  assert.equal(frames.length, Math.floor(clock.now() / 20));
  frames.forEach((t, i) => assert.equal(t, i * FRAME_SAMPLES));
  assert.ok(skipped > 0 && mixed > 0 && sharedSends > 0 && resumes > 0, 'the run covered every case');
});

test('a speaker who stops and starts all the time never hears their own voice back (real Opus)', () => {
  // a talks at 440 Hz; b at 660 Hz loses 80 % of their packets, so b moves between their own mix-minus
  // stream and the shared total again and again. What b is sent must carry a, and none of b.
  const stage = new FakeStage(['a', 'b']);
  const decoder = new OpusFrameDecoder();
  const heard = new Int16Array(1500 * FRAME_SAMPLES);
  let received = 0;
  const engine = new StageMixEngine({
    source: stage,
    sink: {
      sendToSpeaker: (id, opus) => {
        if (id === 'b') heard.set(decoder.decode(opus), FRAME_SAMPLES * received++);
      },
    },
    autoStart: false,
  });
  const [encA, encB] = [new OpusFrameEncoder({ bitrate: 64_000 }), new OpusFrameEncoder({ bitrate: 64_000 })];
  const [toneA, toneB] = [new SineFrames(440, 4000), new SineFrames(660, 4000)];
  let seed = 1;
  const random = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  let bPackets = 0;
  for (let i = 0; i < 1500; i++) {
    const packet = (payload: Uint8Array) => ({
      sequence: i,
      timestamp: i * FRAME_SAMPLES,
      arrivalMs: i * 20,
      payload,
    });
    stage.emit('packet', 'a', packet(encA.encode(toneA.next())));
    const b = encB.encode(toneB.next());
    if (random() > 0.8) {
      stage.emit('packet', 'b', packet(b));
      bPackets++;
    }
    engine.tick();
  }
  engine.close();
  assert.equal(received, 1500);
  assert.ok(bPackets > 200, 'b did talk');
  const window = 10 * FRAME_SAMPLES; // 200 ms
  for (let w = 5; w < 150; w++) {
    const part = heard.subarray(w * window, (w + 1) * window);
    const own = 10 * Math.log10(goertzelPower(part, 660) / goertzelPower(part, 440));
    assert.ok(goertzelPower(part, 440) > 1e6, `window ${w}: b hears a`);
    assert.ok(own < -40, `200 ms window ${w}: b's own tone at ${own.toFixed(1)} dB relative to a's`);
  }
});

test('a stalled event loop: the broadcast is filled with silence and stays on the clock, without gaps', () => {
  const clock = new FakeClock();
  const stage = new FakeStage(['a']);
  const engine = new StageMixEngine({ source: stage, sink: new RecordingSink(), mixer: { clock } });
  const frames: EncodedMixFrame[] = [];
  engine.on('frame', (f) => frames.push(f));
  clock.advance(100);
  clock.stall(400); // far past the 5-tick catch-up
  clock.advance(100);
  engine.close();
  // 600 ms of clock: 30 frames exactly. A broadcast that fell behind would be ~19 short here.
  assert.equal(frames.length, 30);
  frames.forEach((f, i) => assert.equal(f.sampleTime, i * FRAME_SAMPLES, `frame ${i} is contiguous`));
  const decoded = decodeAll(frames.map((f) => f.opus));
  assert.equal(decoded.length, frames.length * FRAME_SAMPLES);
});

test('a stalled event loop: each speaker’s return feed keeps their own voice below −40 dB (real Opus, 400 ms stalls)', () => {
  // a talks at 440 Hz, b at 660 Hz, a packet each every 20 ms of clock time. Every second the loop is
  // blocked for 400 ms: the packets that came meanwhile wait, then arrive in one burst after the stall,
  // and the mixer skips the ticks it missed. Whatever it sends each speaker must carry the other only.
  const clock = new FakeClock();
  const stage = new FakeStage(['a', 'b']);
  const feeds = new Map(
    ['a', 'b'].map((id) => [id, { decoder: new OpusFrameDecoder(), pcm: [] as Int16Array[] }]),
  );
  const engine = new StageMixEngine({
    source: stage,
    sink: {
      sendToSpeaker: (id, opus) => {
        const feed = feeds.get(id);
        feed?.pcm.push(feed.decoder.decode(opus));
      },
    },
    mixer: { clock },
  });
  const talkers = [
    { id: 'a', encoder: new OpusFrameEncoder({ bitrate: 64_000 }), tone: new SineFrames(440, 4000), hz: 440 },
    { id: 'b', encoder: new OpusFrameEncoder({ bitrate: 64_000 }), tone: new SineFrames(660, 4000), hz: 660 },
  ];
  let n = 0;
  let queued: { id: string; payload: Uint8Array; seq: number }[] = [];
  const produce = () => {
    for (const t of talkers) queued.push({ id: t.id, payload: t.encoder.encode(t.tone.next()), seq: n });
    n++;
  };
  const deliver = () => {
    for (const q of queued) {
      stage.emit('packet', q.id, {
        sequence: q.seq & 0xffff,
        timestamp: (q.seq * FRAME_SAMPLES) >>> 0,
        arrivalMs: clock.now(),
        payload: q.payload,
      });
    }
    queued = [];
  };
  let stalls = 0;
  for (let second = 0; second < 12; second++) {
    for (let i = 0; i < 30; i++) {
      produce();
      deliver();
      clock.advance(20);
    }
    for (let i = 0; i < 20; i++) produce(); // sent during the stall, read after it
    clock.stall(400);
    stalls++;
    deliver();
  }
  engine.close();
  assert.equal(stalls, 12);
  for (const t of talkers) {
    const other = talkers.find((o) => o !== t) as (typeof talkers)[number];
    const feed = feeds.get(t.id)?.pcm ?? [];
    assert.ok(feed.length > 300, `${t.id} was sent their mix-minus (${feed.length} frames)`);
    // 200 ms windows of what they were sent, after the first second (jitter buffers filling).
    let windows = 0;
    for (let w = 50; w + 10 <= feed.length; w += 10) {
      const samples = new Float32Array(10 * FRAME_SAMPLES);
      feed.slice(w, w + 10).forEach((f, k) => samples.set(int16ToFloat(f), k * FRAME_SAMPLES));
      const otherDb = amplitudeToDb(toneAmplitude(samples, 48_000, other.hz));
      const ownDb = amplitudeToDb(toneAmplitude(samples, 48_000, t.hz));
      if (otherDb < -40) continue; // a window of concealment after a stall: nothing to compare against
      windows++;
      assert.ok(
        ownDb - otherDb < -40,
        `${t.id}, frames ${w}..${w + 10}: own tone at ${(ownDb - otherDb).toFixed(1)} dB relative to the other's`,
      );
    }
    assert.ok(windows > 20, `${t.id}: ${windows} windows carried the other speaker`);
  }
});
