/**
 * A load test against a space whose broadcast is digital silence (what a listener on a node without the
 * space's media hears): the decoding listener reports it, and the run fails, unless silence is allowed.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { SpeakerBot } from '../../src/bot/index.js';
import { failuresOf, runLoadTest } from '../../src/loadtest/index.js';
import type { RostraNode } from '../../src/server/RostraNode.js';
import { openTestNode, signUp } from '../../src/testing/TestNode.js';

let node: RostraNode;
let base: string;
let spaceId: string;
let bot: SpeakerBot;

before(async () => {
  node = await openTestNode({ webDist: null, config: { media: { partTargetMs: 500, segmentTargetS: 2 } } });
  await node.listen();
  base = `http://127.0.0.1:${node.http.port}`;
  const host = await signUp(node, 'host');
  spaceId = (await host.client.createSpace({ title: 'Silence' })).id;
  // A speaker on stage whose samples are all zero: the mix, and so the broadcast, is digital silence.
  bot = new SpeakerBot({
    whipUrl: `${base}/api/v1/spaces/${spaceId}/whip`,
    token: host.token,
    audio: { kind: 'tone', frequencyHz: 440, levelDbfs: -200 },
  });
  await bot.start();
  const media = node.media.get(spaceId);
  assert.ok(media, 'the WHIP offer started the space media');
  await new Promise<void>((resolve) => {
    let cut = 0;
    const onPart = () => {
      if (++cut < 3) return;
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

test('runLoadTest: a silent broadcast is a failure the report names; with silence allowed it is clean', async () => {
  const report = await runLoadTest({ url: `${base}/s/${spaceId}`, listeners: 5, durationS: 6, decoders: 1 });
  const [d] = report.decoded;
  assert.ok(d && d.error === undefined && d.audioSeconds > 0, JSON.stringify(d));
  assert.deepEqual(d.frequencies, []);
  // Every decoded sample was digital silence: all of it, in one stretch.
  assert.equal(d.silentSeconds, d.audioSeconds);
  assert.equal(d.longestSilenceSeconds, d.audioSeconds);
  // (On a loaded machine the report may name stalls too; the silence is named whatever else is.)
  const silence = `decoding listener 1 heard ${d.audioSeconds} s of digital silence (${d.audioSeconds} s in all)`;
  assert.ok(report.failures.includes(silence), report.failures.join('; '));
  assert.deepEqual(
    failuresOf(report, false).filter((f) => f.includes('silence')),
    [],
  );
});
