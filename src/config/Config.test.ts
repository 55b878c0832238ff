import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { z } from 'zod';
import { serveUsage } from '../cli/serve.js';
import { CONFIG_OPTIONS, ConfigError, loadConfig, parseFlags } from './Config.js';
import { kebab, listOptions, optionsTable } from './options.js';

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

test('every option has a flag, an environment variable and a help line, each its own', () => {
  assert.ok(CONFIG_OPTIONS.length > 60);
  const flags = new Set<string>();
  const envs = new Set<string>();
  for (const o of CONFIG_OPTIONS) {
    assert.match(o.flag, /^[a-z0-9]+(-[a-z0-9]+)*$/, o.path);
    assert.match(o.env, /^[A-Z][A-Z0-9_]*$/, o.path);
    assert.ok(o.help.length >= 10, `${o.path} needs a .describe('…') help line`);
    flags.add(o.flag);
    envs.add(o.env);
  }
  assert.equal(flags.size, CONFIG_OPTIONS.length);
  assert.equal(envs.size, CONFIG_OPTIONS.length);
  const help = serveUsage();
  for (const o of CONFIG_OPTIONS) {
    assert.ok(help.includes(`--${o.flag} `), `--${o.flag} in rostra serve --help`);
    assert.ok(help.includes(o.env), `${o.env} in rostra serve --help`);
  }
});

test('every option with a default is read from its flag and from its variable', () => {
  const base = loadConfig([], {}, { dataDir: '', secret: 'x'.repeat(32) });
  for (const o of CONFIG_OPTIONS.filter((x) => x.defaultText !== '' && x.path !== 'dataDir')) {
    const viaFlag = loadConfig([`--${o.flag}=${o.defaultText}`], {}, { dataDir: '', secret: 'x'.repeat(32) });
    const viaEnv = loadConfig([], { [o.env]: o.defaultText }, { dataDir: '', secret: 'x'.repeat(32) });
    assert.deepEqual(viaFlag, base, `--${o.flag}`);
    assert.deepEqual(viaEnv, base, o.env);
  }
  // And a value other than the default reaches its place, by flag and by variable.
  const c = loadConfig(
    ['--body-bytes', '1000', '--part-ms=200', '--ticket-ttl-seconds', '60', '--aac', 'off'],
    { ROSTRA_REACTIONS_PER_10S: '5', ROSTRA_COUNT_PUSH_MS: '500', ROSTRA_SECRET: 's'.repeat(32) },
    { dataDir: '' },
  );
  assert.equal(c.limits.bodyBytes, 1000);
  assert.equal(c.media.partTargetMs, 200);
  assert.equal(c.timing.ticketTtlSeconds, 60);
  assert.equal(c.media.aac, false);
  assert.equal(c.limits.reactionsPer10s, 5);
  assert.equal(c.timing.countPushMs, 500);
  assert.equal(c.secret, 's'.repeat(32));
  assert.deepEqual(loadConfig(['--announced-ip', '10.0.0.1, 10.0.0.2'], {}, { dataDir: '' }).announcedIps, [
    '10.0.0.1',
    '10.0.0.2',
  ]);
});

test("README's configuration table is the one the schema writes (npm run docs:config)", () => {
  const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const start = readme.indexOf('<!-- config-table:start');
  const end = readme.indexOf('<!-- config-table:end -->');
  assert.ok(start >= 0 && end > start, 'README.md has the config-table markers');
  const rows = (md: string) =>
    md
      .split('\n')
      .filter((l) => l.startsWith('|') && !/^\|[\s-|]+\|$/.test(l))
      .map((l) => l.split(/(?<!\\)\|/).map((c) => c.trim()));
  assert.deepEqual(rows(readme.slice(start, end)), rows(optionsTable(CONFIG_OPTIONS)));
});

test('listOptions refuses two options that would share a flag or a variable', () => {
  const schema = z.object({ a: z.object({ x: z.number().describe('x') }), b: z.object({ x: z.number() }) });
  assert.throws(() => listOptions(schema), /both want --x/);
  assert.equal(kebab('reactionsPer10s'), 'reactions-per-10s');
  assert.equal(kebab('signInFailuresPerIp'), 'sign-in-failures-per-ip');
});
