/**
 * A bounded load test in the suite: simulated LL-HLS listeners for 20 s against an in-process node with
 * a bot speaker (0.5 s parts), over real loopback HTTP. Every listener is admitted; none stalls or fails;
 * the decoding sample listeners hear the bot's tone.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { SpeakerBot } from '../../src/bot/index.js';
import { runLoadTest } from '../../src/loadtest/index.js';
import type { RostraNode } from '../../src/server/RostraNode.js';
import { openTestNode, signUp } from '../../src/testing/TestNode.js';

const LISTENERS = Number(process.env.LOADTEST_LISTENERS ?? 300);

let node: RostraNode;
let base: string;
let spaceId: string;
let bot: SpeakerBot;

before(async () => {
  node = await openTestNode({ webDist: null, config: { media: { partTargetMs: 500, segmentTargetS: 2 } } });
  await node.listen();
  base = `http://127.0.0.1:${node.http.port}`;
  const host = await signUp(node, 'host');
  spaceId = (await host.client.post<{ id: string }>('/api/v1/spaces', { title: 'Load' })).body.id;
  bot = new SpeakerBot({
    connectTimeoutMs: 60_000, // a deadline for a busy machine
    whipUrl: `${base}/api/v1/spaces/${spaceId}/whip`,
    token: host.token,
    audio: { kind: 'tone', frequencyHz: 440, levelDbfs: -12 },
  });
  await bot.start();
  // Let the first parts exist before the crowd arrives: wait for three to be cut.
  const media = node.media.get(spaceId);
  assert.ok(media, 'the WHIP offer started the space media');
  await new Promise<void>((resolve, reject) => {
    let cut = 0;
    const timer = setTimeout(() => reject(new Error('no parts cut in 30 s')), 30_000);
    const onPart = () => {
      if (++cut < 3) return;
      clearTimeout(timer);
      media.packager.off('part', onPart);
      resolve();
    };
    media.packager.on('part', onPart);
  });
});

after(async () => {
  await bot.stop();
  await node.close();
});

test(`runLoadTest: ${LISTENERS} listeners for 20 s on 0.5 s parts are all admitted, with no stall and no error`, async () => {
  const report = await runLoadTest({
    url: `${base}/live/${spaceId}/index.m3u8`,
    listeners: LISTENERS,
    rampS: 2,
    durationS: 20,
  });
  console.log(JSON.stringify(report));
  assert.equal(report.listenersConnected, LISTENERS);
  assert.deepEqual(report.errors, {});
  assert.deepEqual(report.refused, {});
  assert.equal(report.stalls, 0);
  // The decoding listeners expect sound: digital silence would be a failure (test/loadtest/silence.test.ts).
  assert.deepEqual(report.failures, []);
  // ~2 parts/s for ~17 s each, minus the ramp: most parts of the run were delivered and timed.
  assert.ok(report.partDelayMs.count > LISTENERS * 25, `only ${report.partDelayMs.count} parts timed`);
  assert.ok(report.bytesPerSecondPerListener > 3000, `${report.bytesPerSecondPerListener} B/s per listener`);
  // The two decoding sample listeners hear the bot's tone, all along, with no stall.
  assert.equal(report.decoded.length, 2);
  for (const d of report.decoded) {
    assert.equal(d.error, undefined);
    assert.ok(
      d.frequencies.some((f) => Math.abs(f - 440) <= 3),
      `heard ${d.frequencies.join(', ')}`,
    );
    assert.equal(d.stalls, 0);
    assert.ok(d.audioSeconds > 15, `${d.audioSeconds} s of audio`);
  }
  // Every simulated listener left when it stopped: none is still counted for a ticket's lifetime.
  assert.equal(await node.bus.presence.count(`listeners:${spaceId}`), 0);
});
