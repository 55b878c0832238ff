/** ReloadWaiters on a real PartPackager fed 20 ms frames (25 a part, 8 parts a segment). */
import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { ServerResponse } from 'node:http';
import { test } from 'node:test';
import { PartPackager } from '../broadcast/index.js';
import { holdSlot } from '../guard/HeldSlot.js';
import { Occupancy } from '../guard/Occupancy.js';
import { ReloadWaiters, type HeldAnswer } from './ReloadWaiters.js';

const TIMEOUT_MS = 12_000; // 3 target durations of 4 s, as decideReload says

/** A packager with one segment and one part published (MSN 0 complete, part 1.0 out). */
function packager() {
  const p = new PartPackager({ preSkip: 312, startedAtMs: 0 });
  let frame = 0;
  const pushPart = () => {
    for (let i = 0; i < 25; i++)
      p.push({ opus: Uint8Array.of(0xf8, frame & 0xff), sampleTime: frame++ * 960, durationSamples: 960 });
  };
  for (let i = 0; i < 9; i++) pushPart();
  return { p, pushPart };
}

/** Held gauge and held seconds' outcomes, as the node's Metrics would record them. */
function metrics() {
  const m = { held: 0, outcomes: [] as string[] };
  const sink = {
    heldRequests: { inc: () => m.held++, dec: () => m.held-- },
    heldSeconds: { observe: (labels: { outcome: string }) => m.outcomes.push(labels.outcome) },
  };
  return { m, sink: sink as unknown as ConstructorParameters<typeof ReloadWaiters>[1] };
}

/** What a promise has settled to so far (undefined while pending). */
function track(answer: Promise<HeldAnswer>): { kind: string | undefined } {
  const seen: { kind: string | undefined } = { kind: undefined };
  void answer.then((a) => (seen.kind = a.kind));
  return seen;
}

function fakeResponse() {
  return Object.assign(new EventEmitter(), { writableFinished: false });
}

test('a part answers only the holds it satisfies, in order, and keeps the rest', async () => {
  const { p, pushPart } = packager();
  assert.deepEqual(
    { lastMsn: p.position.lastMsn, parts: p.position.partsInProgress },
    { lastMsn: 0, parts: 1 },
  );
  const { m, sink } = metrics();
  const w = new ReloadWaiters(p, sink);
  // Interleaved: the next part (1.1), the one after (1.2), the next part again, the segment (MSN 1).
  const a = w.wait({ msn: 1, part: 1 }, TIMEOUT_MS);
  const b = w.wait({ msn: 1, part: 2 }, TIMEOUT_MS);
  const c = w.wait({ msn: 1, part: 1 }, TIMEOUT_MS);
  const d = w.wait({ msn: 1 }, TIMEOUT_MS);
  const [sb, sd] = [track(b), track(d)];
  assert.equal(w.size, 4);
  assert.equal(m.held, 4);
  assert.equal(p.listenerCount('part'), 1, 'one listener for the whole list');

  pushPart(); // part 1.1
  assert.equal(w.size, 2, 'answered during the part event itself');
  assert.deepEqual(await Promise.all([a, c]), [{ kind: 'respond' }, { kind: 'respond' }]);
  assert.deepEqual([sb.kind, sd.kind], [undefined, undefined], 'the others still held');

  pushPart(); // part 1.2
  assert.deepEqual(await b, { kind: 'respond' });
  assert.equal(sd.kind, undefined);
  for (let i = 0; i < 5; i++) pushPart(); // parts 1.3 .. 1.7: segment 1 complete
  assert.deepEqual(await d, { kind: 'respond' });
  assert.equal(w.size, 0);
  assert.equal(m.held, 0);
  assert.deepEqual(m.outcomes, ['respond', 'respond', 'respond', 'respond']);
});

test('end answers every hold with the ended playlist', async () => {
  const { p } = packager();
  const { m, sink } = metrics();
  const w = new ReloadWaiters(p, sink);
  const held = [w.wait({ msn: 1, part: 1 }, TIMEOUT_MS), w.wait({ msn: 2, part: 0 }, TIMEOUT_MS)];
  p.end();
  assert.deepEqual(await Promise.all(held), [{ kind: 'respond' }, { kind: 'respond' }]);
  assert.equal(w.size, 0);
  assert.deepEqual([m.held, m.outcomes], [0, ['respond', 'respond']]);
});

test('a hold with no part in time times out; deadlines are kept in order whatever the arrival', async () => {
  const { p } = packager();
  const { m, sink } = metrics();
  const w = new ReloadWaiters(p, sink);
  const started = performance.now();
  const late = w.wait({ msn: 1, part: 1 }, 60);
  const early = w.wait({ msn: 1, part: 1 }, 20); // arrives second, due first
  const lateSeen = track(late);
  assert.deepEqual(await early, { kind: 'timeout' });
  assert.ok(performance.now() - started >= 20, 'not before its deadline');
  assert.equal(lateSeen.kind, undefined, 'the later deadline is still held');
  assert.equal(w.size, 1);
  assert.deepEqual(await late, { kind: 'timeout' });
  assert.ok(performance.now() - started >= 60);
  assert.deepEqual([w.size, m.held, m.outcomes], [0, 0, ['timeout', 'timeout']]);
});

test('a client that goes away is let go at once; its place is given back; nothing is counted twice', async () => {
  const { p, pushPart } = packager();
  const { m, sink } = metrics();
  const w = new ReloadWaiters(p, sink);
  const held = new Occupancy(10, 10);
  const guard = { held } as unknown as Parameters<typeof holdSlot>[0];
  const [r1, r2] = [fakeResponse(), fakeResponse()];
  const s1 = holdSlot(guard, 'a', r1 as unknown as ServerResponse);
  const s2 = holdSlot(guard, 'b', r2 as unknown as ServerResponse);
  assert.ok(s1 && s2);
  const gone = w.wait({ msn: 1, part: 1 }, TIMEOUT_MS, s1);
  const stays = w.wait({ msn: 1, part: 1 }, TIMEOUT_MS, s2);
  r1.emit('close'); // the client went away before its answer
  assert.equal(s1.gone, true);
  assert.deepEqual(await gone, { kind: 'timeout' });
  assert.equal(w.size, 1);
  assert.equal(held.total, 1, 'its place is given back with it');
  s1.done();
  assert.equal(held.total, 1, 'done after close gives nothing back twice');

  pushPart();
  assert.deepEqual(await stays, { kind: 'respond' });
  r2.emit('close'); // a close after the answer (the caller has not called done yet) changes nothing
  s2.done();
  assert.deepEqual([w.size, held.total, m.held, m.outcomes], [0, 0, 0, ['timeout', 'respond']]);

  // A client already gone is not held at all.
  const r3 = fakeResponse();
  const s3 = holdSlot(guard, 'c', r3 as unknown as ServerResponse);
  assert.ok(s3);
  r3.emit('close');
  assert.deepEqual(await w.wait({ msn: 1, part: 3 }, TIMEOUT_MS, s3), { kind: 'timeout' });
  assert.equal(w.size, 0);
  assert.equal(m.outcomes.length, 2, 'never held, so not counted as held');
});

test('no leak: after a crowd is answered, woken, timed out or gone, no hold, timer or listener is left', async () => {
  const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  const before = timers();
  const { p, pushPart } = packager();
  const { m, sink } = metrics();
  const w = new ReloadWaiters(p, sink);
  const held = new Occupancy(0, 0);
  const guard = { held } as unknown as Parameters<typeof holdSlot>[0];
  const responses = Array.from({ length: 300 }, fakeResponse);
  // A third each: the next part (woken), 1.3 (answered by the end), 1.2 with a short timeout; a tenth go away.
  const answers = responses.map((r, i) => {
    const slot = holdSlot(guard, `10.0.0.${i % 7}`, r as unknown as ServerResponse);
    assert.ok(slot);
    const kind = i % 3;
    const answer = w.wait({ msn: 1, part: [1, 3, 2][kind] as number }, kind === 2 ? 30 : TIMEOUT_MS, slot);
    return answer.finally(() => slot.done());
  });
  assert.equal(timers(), before + 1, 'one timer for the whole list');
  assert.equal(p.listenerCount('part'), 1);
  for (const r of responses.filter((_, i) => i % 10 === 0)) r.emit('close');
  pushPart(); // 1.1
  await Promise.all(answers.filter((_, i) => i % 3 === 2)); // the short timeouts
  p.end();
  const kinds = (await Promise.all(answers)).map((a) => a.kind);
  assert.equal(kinds.filter((k) => k === 'respond').length, 180, 'woken or ended, bar the gone ones');
  assert.equal(kinds.filter((k) => k === 'timeout').length, 120, 'gone or timed out');
  assert.deepEqual([w.size, held.total, m.held, m.outcomes.length, timers()], [0, 0, 0, 300, before]);
  for (const r of responses) assert.equal(r.listenerCount('close'), 0);
});
