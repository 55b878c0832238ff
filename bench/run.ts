/**
 * `npm run bench`: runs every bench/*.bench.ts (or those matching the arguments) one after another, each
 * in its own process so one cannot warm or disturb the next, prints their tables, and ends with one table
 * of the headline figures, each beside the reference measured in the same run.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { printTable } from './lib.js';
import { readSummary } from './summary.js';

const dir = fileURLToPath(new URL('.', import.meta.url));
const filters = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => filters.length === 0 || filters.some((p) => f.includes(p)))
  .sort();

const scratch = mkdtempSync(join(tmpdir(), 'rostra-bench-summary-'));
const summary = join(scratch, 'summary.jsonl');
const started = performance.now();
let failed = 0;
for (const file of files) {
  console.log(`\n=== ${file}`);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', `${dir}${file}`], {
    stdio: 'inherit',
    env: { ...process.env, NODE_ENV: 'production', BENCH_SUMMARY: summary },
  });
  console.log(`(${file}: ${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  if (r.status !== 0) {
    failed++;
    console.log(`!!! ${file} failed (${r.status ?? r.signal})`);
  }
}

const rows = readSummary(summary);
rmSync(scratch, { recursive: true, force: true });
console.log(
  `\n=== summary (${files.length} benches, ${((performance.now() - started) / 60_000).toFixed(1)} min)\n`,
);
printTable([
  ['measure', 'Rostra', 'reference, same run', 'ratio'],
  ...rows.map((r) => [r.measure, r.value, r.reference, r.ratio]),
]);
process.exit(failed > 0 ? 1 : 0);
