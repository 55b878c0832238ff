/** `rostra demo --json` against a running server: the first line names the space, then bots report hearing each other. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import type { RostraNode } from '../../src/server/RostraNode.js';
import { openTestNode } from '../../src/testing/TestNode.js';

const ENTRY = fileURLToPath(new URL('../../src/cli/entry.ts', import.meta.url));
let node: RostraNode;
let base: string;

before(async () => {
  node = await openTestNode();
  await node.listen();
  base = `http://127.0.0.1:${node.http.port}`;
});
after(async () => {
  await node.close();
});

function rostra(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

test('rostra demo --json: a live space, then each bot hears the others’ tones, with the delay', async () => {
  const { code, stdout, stderr } = await rostra([
    'demo',
    '--server',
    base,
    '--speakers',
    '2',
    '--tones',
    '440,660',
    '--seconds',
    '5',
    '--json',
  ]);
  assert.equal(code, 0, stderr);
  const lines = stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const first = lines[0] as { spaceId: string; pageUrl: string; playlistUrl: string };
  assert.match(first.pageUrl, new RegExp(`/s/${first.spaceId}$`));
  assert.match(first.playlistUrl, new RegExp(`/live/${first.spaceId}/index\\.m3u8$`));
  const reports = lines.slice(1) as { bot: string; hears: number[]; delayMs: number | null }[];
  const lastOf = (bot: string) => reports.filter((r) => r.bot === bot).at(-1);
  assert.deepEqual(lastOf('host')?.hears, [660]);
  assert.deepEqual(lastOf('speaker1')?.hears, [440]);
  const delays = reports
    .filter((r) => r.bot === 'speaker1' && r.delayMs !== null)
    .map((r) => r.delayMs as number);
  assert.ok(delays.length > 0, 'the speaker measured the host’s pulses');
  console.log(`demo: speaker-to-speaker delays ${delays.join(', ')} ms`);
  const space = await (await fetch(`${base}/api/v1/spaces/${first.spaceId}`)).json();
  assert.equal((space as { state: string }).state, 'ended', 'the demo ends its space when it stops');
  // The printed host login signs in as the space's host (a newcomer takes control in the browser).
  const login = (lines[0] as { host: { handle: string; password: string } }).host;
  const signIn = await fetch(`${base}/api/v1/auth/signin`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(login),
  });
  assert.equal(signIn.status, 200);
  const who = (await signIn.json()) as { user: { id: string } };
  assert.equal(who.user.id, (space as { host: { id: string } }).host.id);
});

test('rostra demo against nothing answers with a clear error, and a bad flag with usage', async () => {
  const down = await rostra(['demo', '--server', 'http://127.0.0.1:9', '--seconds', '1']);
  assert.equal(down.code, 1);
  assert.match(down.stderr, /cannot reach http:\/\/127\.0\.0\.1:9/);
  const bad = await rostra(['demo', '--speakers', 'lots']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /--speakers must be a number/);
});
