/**
 * The newcomer line on its own: FIFO, at least one job a turn, a turn's budget of work, a cap, and a job
 * that throws does not stop the line. Its clock is driven by the jobs, so the budget is exact.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { until } from '../testing/until.js';
import { NewcomerLine } from './NewcomerLine.js';

test('jobs run in order, a turn stops at its budget, and the rest run in later turns', async () => {
  let clock = 0;
  const line = new NewcomerLine(100, () => clock);
  const done: number[] = [];
  // Each job "costs" 1 ms on the line's clock: a 2 ms budget does two a turn.
  for (let i = 0; i < 6; i++)
    assert.ok(
      line.enter(() => {
        done.push(i);
        clock += 1;
      }),
    );
  assert.equal(line.size, 6);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(done, [0, 1], 'one turn: its budget of work, no more');
  await until('every job done', () => line.size === 0);
  assert.deepEqual(done, [0, 1, 2, 3, 4, 5]);
  assert.equal(line.yields, 2);
});

test('a job costlier than the budget still runs, one a turn', async () => {
  let clock = 0;
  const line = new NewcomerLine(100, () => clock);
  const done: number[] = [];
  for (let i = 0; i < 3; i++)
    line.enter(() => {
      done.push(i);
      clock += 50;
    });
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(done, [0]);
  await until('every job done', () => line.size === 0);
  assert.deepEqual(done, [0, 1, 2]);
});

test("a job's charge counts against the turn's budget: work it lets in for later is paced too", async () => {
  const line = new NewcomerLine(100, () => 0); // the jobs themselves take no time on this clock
  const done: number[] = [];
  for (let i = 0; i < 10; i++) line.enter(() => done.push(i), 0.5);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(done, [0, 1, 2, 3], 'a 2 ms budget takes four jobs charged 0.5 ms each');
  await until('every job done', () => line.size === 0);
  assert.equal(done.length, 10);
  line.enter(() => done.push(10), 50);
  line.enter(() => done.push(11), 50);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(done.slice(10), [10], 'one job a turn at least, whatever its charge');
  await until('the last job done', () => line.size === 0);
});

test('past its cap the line says no, and takes jobs again once it has room', async () => {
  const line = new NewcomerLine(2);
  assert.ok(line.enter(() => undefined));
  assert.ok(line.enter(() => undefined));
  assert.equal(
    line.enter(() => undefined),
    false,
  );
  await until('the line emptied', () => line.size === 0);
  assert.ok(line.enter(() => undefined));
});

test('a job that throws does not stop the line; a closed line takes nothing and finishes what waits', async () => {
  const line = new NewcomerLine(10);
  const done: string[] = [];
  line.enter(() => {
    throw new Error('boom');
  });
  line.enter(() => done.push('after'));
  line.close();
  assert.equal(
    line.enter(() => done.push('late')),
    false,
  );
  await until('what waited ran', () => line.size === 0);
  assert.deepEqual(done, ['after']);
});
