import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import * as rostra from './index.js';

test('the package surface: the client, the contract, the node and its config', () => {
  for (const name of ['RostraClient', 'ApiError', 'fetchTransport', 'RostraNode', 'loadConfig'])
    assert.equal(typeof (rostra as Record<string, unknown>)[name], 'function', name);
  assert.equal(typeof rostra.SpaceViewSchema.parse, 'function');
  assert.equal(rostra.TICKET_COOKIE, 'rostra_ticket');
  assert.ok(rostra.REACTION_EMOJI.length > 0);
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    main: string;
    types: string;
  };
  // What `npm run build` makes of this file (tsconfig.build.json: src → dist).
  assert.equal(pkg.main, 'dist/index.js');
  assert.equal(pkg.types, 'dist/index.d.ts');
});
