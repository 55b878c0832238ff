/**
 * The stage worker on its own: a space's engine runs in the worker process, the node gets its encoded
 * frames (Opus, and AAC encoded in the worker) and its coded refusals, a crash fails the spaces and the
 * next space starts a new process, and close() leaves no process behind.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isRostraError } from '../errors/index.js';
import type { AacFrame } from '../audio/AacEncoder.js';
import type { EncodedMixFrame } from '../audio/StageMixEngine.js';
import type { SpaceStageEngine } from './StageEngine.js';
import { StageWorker } from './StageWorker.js';

const options = (spaceId: string) => ({
  spaceId,
  announcedIps: ['127.0.0.1'],
  maxSpeakers: 13,
  bitrate: 32_000,
});

/** Resolves with the next `n` frames the engine emits. */
function frames(engine: SpaceStageEngine, n: number): Promise<EncodedMixFrame[]> {
  return new Promise((resolve) => {
    const got: EncodedMixFrame[] = [];
    const onFrame = (frame: EncodedMixFrame) => {
      got.push(frame);
      if (got.length < n) return;
      engine.off('frame', onFrame);
      resolve(got);
    };
    engine.on('frame', onFrame);
  });
}

test('StageWorker.open: the mix runs in the worker; its frames reach the node in order', async () => {
  const worker = new StageWorker();
  try {
    const engine = await worker.open(options('s1'));
    assert.equal(worker.running, true);
    assert.equal(engine.preSkip, 312);
    const got = await frames(engine, 10);
    got.forEach((frame, i) => {
      assert.equal(frame.durationSamples, 960);
      assert.ok(frame.opus.length > 0);
      if (i > 0) assert.equal(frame.sampleTime, (got[i - 1]?.sampleTime ?? 0) + 960);
    });
    await engine.close();
  } finally {
    await worker.close();
  }
  assert.equal(worker.running, false, 'close() ends the process');
});

test('StageWorker: AAC is encoded in the worker from startAac on; its last frames reach the node before close() settles', async () => {
  const worker = new StageWorker();
  try {
    const engine = await worker.open(options('s4'));
    const opus: EncodedMixFrame[] = [];
    const aac: AacFrame[] = [];
    engine.on('frame', (f) => opus.push(f));
    engine.on('aac', (f) => aac.push(f));
    await frames(engine, 3);
    assert.equal(aac.length, 0, 'no AAC before startAac');
    engine.startAac(48_000);
    await new Promise<void>((resolve) => {
      const onAac = () => {
        if (aac.length < 10) return;
        engine.off('aac', onAac);
        resolve();
      };
      engine.on('aac', onAac);
    });
    const firstOpus = opus[0]?.sampleTime ?? NaN;
    await engine.close();
    assert.ok((aac[0]?.sampleTime ?? -1) > firstOpus, 'AAC starts after startAac, on the mix clock');
    aac.forEach((f, i) => {
      assert.equal(f.durationSamples, 1024);
      assert.ok(f.data.length > 0);
      if (i > 0)
        assert.equal(f.sampleTime, (aac[i - 1]?.sampleTime ?? 0) + 1024, `AAC frame ${i} follows on`);
    });
    const lastOpus = opus.at(-1);
    const lastAac = aac.at(-1);
    assert.ok(lastOpus && lastAac);
    assert.ok(
      lastAac.sampleTime + 1024 >= lastOpus.sampleTime + 960,
      'the encoder was flushed: AAC covers every frame the mixer made',
    );
  } finally {
    await worker.close();
  }
});

test('StageWorker: a bad offer is refused with its code across the process boundary, and leaves no peer', async () => {
  const worker = new StageWorker();
  try {
    const engine = await worker.open(options('s2'));
    await assert.rejects(
      engine.stage.addSpeaker('u1', 'v=0\r\nnot an offer'),
      (err: unknown) => isRostraError(err) && err.code === 'invalid_sdp',
    );
    assert.equal(engine.stage.counters().peers, 0);
    assert.deepEqual(engine.stage.speakers(), []);
    assert.equal(engine.stage.removeSpeaker('u1'), false, 'no session to remove');
    engine.stage.mute('u1');
    assert.equal(engine.stage.isMuted('u1'), true);
    await engine.close();
    await assert.rejects(engine.stage.addSpeaker('u1', 'v=0'), (err: unknown) => isRostraError(err));
  } finally {
    await worker.close();
  }
});

test('StageWorker: a crashed worker fails its spaces, and the next space starts a new one', async () => {
  const worker = new StageWorker();
  try {
    const engine = await worker.open(options('s3'));
    const failed = new Promise<Error>((resolve) => engine.on('failed', resolve));
    worker.crashForTest();
    const err = await failed;
    assert.match(err.message, /exited/);
    assert.equal(worker.crashes, 1);
    assert.equal(worker.running, false);
    await engine.close(); // a failed engine closes at once
    const again = await worker.open(options('s3'));
    assert.equal(worker.running, true, 'a new process');
    assert.equal((await frames(again, 3)).length, 3);
    await again.close();
  } finally {
    await worker.close();
  }
  assert.equal(worker.running, false);
});
