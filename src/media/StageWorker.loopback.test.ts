/**
 * The stage worker on its own: a space's engine runs in the worker process, the node gets its encoded
 * frames and its coded refusals, a crash fails the spaces and the next space starts a new process, and
 * close() leaves no process behind.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isRostraError } from '../errors/index.js';
import type { EncodedMixFrame } from '../audio/StageMixEngine.js';
import type { SpaceStageEngine } from './StageEngine.js';
import { StageWorker } from './StageWorker.js';

const options = (spaceId: string) => ({
  spaceId,
  announcedIps: ['127.0.0.1'],
  maxSpeakers: 13,
  bitrate: 32_000,
  pcm: true,
});

/** Resolves with the next `n` frames the engine emits (with their PCM). */
function frames(engine: SpaceStageEngine, n: number): Promise<{ frame: EncodedMixFrame; pcm: number }[]> {
  return new Promise((resolve) => {
    const got: { frame: EncodedMixFrame; pcm: number }[] = [];
    let pcm = -1;
    const onPcm = (samples: Int16Array) => (pcm = samples.length);
    const onFrame = (frame: EncodedMixFrame) => {
      got.push({ frame, pcm });
      pcm = -1;
      if (got.length < n) return;
      engine.off('frame', onFrame);
      engine.off('pcm', onPcm);
      resolve(got);
    };
    engine.on('pcm', onPcm);
    engine.on('frame', onFrame);
  });
}

test('StageWorker.open: the mix runs in the worker; frames and PCM reach the node in order', async () => {
  const worker = new StageWorker();
  try {
    const engine = await worker.open(options('s1'));
    assert.equal(worker.running, true);
    assert.equal(engine.preSkip, 312);
    const got = await frames(engine, 10);
    got.forEach(({ frame, pcm }, i) => {
      assert.equal(pcm, 960, `frame ${i} came with its PCM`);
      assert.equal(frame.durationSamples, 960);
      assert.ok(frame.opus.length > 0);
      if (i > 0) assert.equal(frame.sampleTime, (got[i - 1]?.frame.sampleTime ?? 0) + 960);
    });
    await engine.close();
  } finally {
    await worker.close();
  }
  assert.equal(worker.running, false, 'close() ends the process');
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
