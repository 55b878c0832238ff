/**
 * The one table `npm run bench` ends with: each bench adds its headline rows (a figure and the reference
 * measured in the same run) to the file named by BENCH_SUMMARY, and bench/run.ts prints them together.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';

export interface SummaryRow {
  measure: string;
  value: string;
  reference: string;
  ratio: string;
}

export function writeSummary(rows: readonly SummaryRow[]): void {
  const file = process.env.BENCH_SUMMARY;
  if (!file) return;
  for (const row of rows) appendFileSync(file, `${JSON.stringify(row)}\n`);
}

export function readSummary(file: string): SummaryRow[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as SummaryRow);
}
