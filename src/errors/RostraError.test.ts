import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RostraError } from './RostraError.js';

test('a refusal (4xx) carries no stack, so a flood of them costs no stack captures; a 5xx keeps its stack', () => {
  const limit = Error.stackTraceLimit;
  const refusal = new RostraError('rate_limited', undefined, { retryAfter: 3 });
  assert.equal(refusal.status, 429);
  assert.equal(refusal.stack?.split('\n').length, 1, 'only the message line');
  assert.deepEqual(refusal.toBody().error, {
    code: 'rate_limited',
    message: refusal.message,
    retryAfter: 3,
  });
  const internal = new RostraError('internal');
  assert.ok((internal.stack?.split('\n').length ?? 0) > 1, 'a server fault shows where it happened');
  assert.equal(Error.stackTraceLimit, limit, 'the global limit is left as it was');
});
