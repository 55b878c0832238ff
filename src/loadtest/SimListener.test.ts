/**
 * A simulated listener against the scripted origin that freezes for 57 s and restarts numbering its parts
 * anew (src/testing/RestartingOrigin.ts): the outage is one stall, not hidden by the part numbers.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RestartingOrigin, SPACE_ID } from '../testing/RestartingOrigin.js';
import { HttpPool } from './HttpPool.js';
import { newTally, SimListener } from './SimListener.js';

test('SimListener: a 57 s freeze, then a restart that numbers parts anew, is one stall', async () => {
  // The script's end closes the pool, which ends the listener.
  const origin = await RestartingOrigin.start(() => pool.close());
  const pool = new HttpPool({ host: '127.0.0.1', port: origin.port });
  const tally = newTally();
  try {
    const target = { spaceId: SPACE_ID, liveDir: `/live/${SPACE_ID}/` };
    await new SimListener(pool, target, tally, Infinity, () => origin.now).run();
    assert.equal(tally.connected, 1);
    assert.equal(tally.stalls, 1);
    // The refused blocking reload is an error too; the parts timed: 20 before the freeze, 1 after it.
    assert.deepEqual(tally.errors.toJSON(), { playlist_http_400: 1 });
    assert.equal(tally.parts, 21);
  } finally {
    pool.close();
    await origin.close();
  }
});
