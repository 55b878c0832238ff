#!/usr/bin/env node
// Runs every *.test.ts under src/ and test/ with node's test runner (TypeScript through tsx).
// Usage: node scripts/run-tests.mjs [path-filter ...]
// TEST_CONCURRENCY=n sets the width of the first group, TEST_REALTIME_CONCURRENCY (default 1) of the second.
//
// A 2-core machine must give the same answer every time, so the files run in three groups, one after another:
//  1. everything in memory or on loopback HTTP, TEST_CONCURRENCY (default 2) files at once;
//  2. real time: real media over WebRTC, browsers, ffmpeg, other server processes. One file at a time, so that
//     no other test competes with a live stream for the CPU;
//  3. the load tests, alone and last: they measure stalls under a crowd.
// Each test has a deadline (TEST_TIMEOUT_MS, default 10 min): a hung test fails instead of hanging CI. A file
// whose tests are all done exits even if a handle is left open (--test-force-exit): leaks are checked by
// tests that look for them (sockets, timers, peers), not by whether a process happens to linger.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';

const root = new URL('..', import.meta.url).pathname;
const filters = process.argv.slice(2);

function walk(dir, out) {
  let names;
  try {
    names = readdirSync(dir);
  } catch {
    return out; // the folder does not exist (yet): nothing to run there
  }
  for (const name of names) {
    if (name === 'node_modules' || name === 'dist') continue;
    const full = join(dir, name);
    if (statSync(full).isDirectory()) walk(full, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, full));
  }
  return out;
}

const files = [...walk(join(root, 'src'), []), ...walk(join(root, 'test'), [])]
  .filter((f) => filters.length === 0 || filters.some((p) => f.includes(p)))
  .sort();
if (files.length === 0) {
  console.error('run-tests: no test files matched');
  process.exit(1);
}

const LOAD = [/^test\/loadtest\//];
const REAL_TIME = [
  /^test\/(media|recording|e2e|edge|cli|cluster)\//,
  /^test\/restart\.test\.ts$/,
  /\.loopback\.test\.ts$/,
  /\.ffmpeg\.test\.ts$/,
];
const matches = (patterns) => (f) => patterns.some((p) => p.test(f));
const load = files.filter(matches(LOAD));
const realTime = files.filter((f) => !load.includes(f) && matches(REAL_TIME)(f));
const rest = files.filter((f) => !load.includes(f) && !realTime.includes(f));

const timeoutMs = process.env.TEST_TIMEOUT_MS ?? '600000';
let status = 0;
const summary = [];
for (const [name, group, width] of [
  ['in memory and loopback', rest, process.env.TEST_CONCURRENCY ?? '2'],
  ['real time, one at a time', realTime, process.env.TEST_REALTIME_CONCURRENCY ?? '1'],
  ['load tests, alone', load, '1'],
]) {
  if (group.length === 0) continue;
  const t0 = performance.now();
  const result = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '--test',
      `--test-concurrency=${width}`,
      `--test-timeout=${timeoutMs}`,
      '--test-force-exit',
      '--test-reporter=spec',
      ...group,
    ],
    { stdio: 'inherit', cwd: root, env: { ...process.env, NODE_ENV: 'test' } },
  );
  const seconds = ((performance.now() - t0) / 1000).toFixed(0);
  summary.push(`run-tests: ${name}: ${group.length} files in ${seconds} s, exit ${result.status}`);
  if (result.status !== 0) status = result.status ?? 1;
}
console.log(summary.join('\n'));
process.exit(status);
