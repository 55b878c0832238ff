import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfig, parseFlags } from './Config.js';

test('loadConfig with nothing set gives the documented defaults', () => {
  const c = loadConfig([], {}, { dataDir: '' });
  assert.equal(c.port, 8080);
  assert.equal(c.publicUrl, 'http://localhost:8080');
  assert.equal(c.limits.maxCohosts, 2);
  assert.equal(c.limits.maxSpeakers, 10);
  assert.equal(c.databaseUrl, undefined);
  assert.ok(c.secret.length >= 32);
});

test('flags win over environment variables, which win over defaults', () => {
  const c = loadConfig(
    ['--port', '9001', '--public-url=https://rostra.example'],
    { PORT: '7000', ROSTRA_MAX_SPEAKERS: '4', ROSTRA_DATA: '' },
    {},
  );
  assert.equal(c.port, 9001);
  assert.equal(c.publicUrl, 'https://rostra.example');
  assert.equal(c.limits.maxSpeakers, 4);
});

test('a wrong value stops the start with a message naming the flag and variable', () => {
  assert.throws(
    () => loadConfig(['--port', 'eighty'], {}, { dataDir: '' }),
    (err: unknown) => {
      assert.ok(err instanceof ConfigError);
      assert.match(err.message, /--port \/ PORT/);
      return true;
    },
  );
  assert.throws(
    () => loadConfig([], { DATABASE_URL: 'mysql://x' }, { dataDir: '' }),
    /--database-url \/ DATABASE_URL/,
  );
  assert.throws(() => loadConfig([], { ROSTRA_SECRET: 'short' }, { dataDir: '' }), /ROSTRA_SECRET/);
  assert.throws(() => loadConfig(['--nope', '1'], {}, {}), /unknown flag --nope/);
  assert.throws(() => loadConfig(['--port'], {}, {}), /--port needs a value/);
  assert.throws(
    () => loadConfig([], {}, { dataDir: '', timing: { ticketTtlSeconds: 10, heartbeatSeconds: 15 } }),
    /ticketTtlSeconds/,
  );
});

test('parseFlags accepts both --name value and --name=value', () => {
  assert.deepEqual(parseFlags(['--port', '1', '--data=/x']), { port: '1', data: '/x' });
});

test('the first start writes a secret into the data directory and later starts reuse it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rostra-config-'));
  try {
    const a = loadConfig([], {}, { dataDir: dir });
    const b = loadConfig([], {}, { dataDir: dir });
    assert.equal(a.secret, b.secret);
    assert.equal(readFileSync(join(dir, 'secret.key'), 'utf8').trim(), a.secret);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
