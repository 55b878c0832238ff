/**
 * Writes README.md's configuration table from the configuration schema (src/config/options.ts), between
 * the `config-table` markers: `npm run docs:config`. Config.test.ts fails when the README is stale.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { CONFIG_OPTIONS } from '../src/config/Config.js';
import { optionsTable } from '../src/config/options.js';

export const START = '<!-- config-table:start (npm run docs:config writes this table) -->';
export const END = '<!-- config-table:end -->';

const file = new URL('../README.md', import.meta.url);
const readme = readFileSync(file, 'utf8');
const a = readme.indexOf(START);
const b = readme.indexOf(END);
if (a < 0 || b < a) throw new Error(`README.md has no ${START} … ${END} markers`);
const next = `${readme.slice(0, a + START.length)}\n\n${optionsTable(CONFIG_OPTIONS)}\n\n${readme.slice(b)}`;
const options = await resolveConfig(fileURLToPath(file));
writeFileSync(file, await format(next, { ...options, filepath: fileURLToPath(file) }));
console.log(`README.md: ${CONFIG_OPTIONS.length} options`);
