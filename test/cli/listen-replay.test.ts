/**
 * `rostra listen` on a replay plays the first --seconds of its audio and reports no delay (a delay from
 * when it was recorded means nothing); on an ended space it points to the replay. The recording is real
 * (real Opus parts through the recorder), made without a bot.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { listen } from '../../src/cli/listen.js';
import type { RostraNode } from '../../src/server/RostraNode.js';
import { tonePackager } from '../../src/testing/recordingTestKit.js';
import { openTestNode, signUp } from '../../src/testing/TestNode.js';

let dir: string;
let node: RostraNode;
let base: string;
let spaceId: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rostra-listen-replay-'));
  node = await openTestNode({ config: { dataDir: dir } });
  await node.listen();
  base = `http://127.0.0.1:${node.http.port}`;
  const host = await signUp(node, 'host');
  spaceId = (await host.client.post<{ id: string }>('/api/v1/spaces', { title: 'Twenty seconds' })).body.id;
  const space = await node.store.spaces.get(spaceId);
  assert.ok(space && node.recordings);
  const { packager, push } = tonePackager(440, Date.now());
  await node.recordings.started(space, { packager, startedAtMs: Date.now() });
  push(20);
  assert.equal((await host.client.post(`/api/v1/spaces/${spaceId}/end`)).status, 200);
  packager.end();
  await node.recordings.ended(spaceId);
});

after(async () => {
  await node?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function capture(argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const [log, error] = [console.log, console.error];
  console.log = (line: string) => out.push(line);
  console.error = (line: string) => err.push(line);
  try {
    return { code: await listen(argv), out, err };
  } finally {
    console.log = log;
    console.error = error;
  }
}

test('rostra listen on a replay: the first --seconds of audio, and no delay', async () => {
  const { code, out } = await capture([`${base}/r/${spaceId}`, '--seconds', '4', '--json']);
  assert.equal(code, 0);
  const report = JSON.parse(out.at(-1) as string) as {
    delayMs: { p50: number | null; p99: number | null };
    parts: number;
    ended: boolean;
  };
  assert.deepEqual(report.delayMs, { p50: null, p99: null });
  // 2 s segments: it stops at the first segment boundary at or past 4 s, not at the 20 s end.
  assert.equal(report.ended, false, 'stopped at --seconds, before the end of the recording');

  const text = await capture([`${base}/r/${spaceId}`, '--seconds', '4']);
  assert.equal(text.code, 0);
  const done = text.out.at(-1) ?? '';
  assert.match(done, /^Done\. 4\.0 s: hears 440 Hz/);
  assert.doesNotMatch(text.out.join('\n'), /delay/);
});

test('rostra listen on an ended space points to its replay', async () => {
  const { code, err } = await capture([`${base}/s/${spaceId}`, '--seconds', '1']);
  assert.equal(code, 1);
  assert.match(err.join('\n'), new RegExp(`rostra listen ${base}/r/${spaceId}`));
});
