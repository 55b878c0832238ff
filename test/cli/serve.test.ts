/** `rostra serve` and `rostra --help` as real processes: a taken port is one clear line, help lists everything. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { CONFIG_OPTIONS } from '../../src/config/Config.js';

const ENTRY = fileURLToPath(new URL('../../src/cli/entry.ts', import.meta.url));

function rostra(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ROSTRA_LOG_LEVEL: 'silent' },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // A bound on a hung child only; the test waits for the exit itself.
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

test('rostra serve on a port already in use prints one clear line and exits 1', async () => {
  const holder: Server = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  const address = holder.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  try {
    const r = await rostra(['serve', '--port', String(port), '--host', '127.0.0.1', '--data', '']);
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      `rostra serve: port ${port} is already in use on 127.0.0.1 (another program is listening there); choose another with --port or PORT.\n`,
    );
    assert.doesNotMatch(r.stdout, /EADDRINUSE|at .*\(/);
  } finally {
    await new Promise((resolve) => holder.close(resolve));
  }
});

test('rostra --help lists every command and every serve flag with its variable', async () => {
  const r = await rostra(['--help']);
  assert.equal(r.code, 0);
  for (const command of ['serve', 'demo', 'bot speak', 'listen', 'loadtest', 'help'])
    assert.match(r.stdout, new RegExp(`^  ${command} `, 'm'), command);
  for (const o of CONFIG_OPTIONS) {
    assert.ok(r.stdout.includes(`--${o.flag} `), `--${o.flag}`);
    assert.ok(r.stdout.includes(o.env), o.env);
  }
});

test('rostra serve with a bad value names the flag and exits 2', async () => {
  const r = await rostra(['serve', '--part-ms', '210', '--data', '']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--part-ms \/ ROSTRA_PART_MS/);
});
