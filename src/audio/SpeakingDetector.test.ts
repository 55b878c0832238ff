import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SpeakingDetector } from './SpeakingDetector.js';

/** Feeds one level per 20 ms tick from `startMs`, returning the changes with their times. */
function feed(d: SpeakingDetector, levels: number[], startMs = 0): string[] {
  const changes: string[] = [];
  const onChange = (id: string, speaking: boolean) => changes.push(`${now}:${id}:${speaking ? 'on' : 'off'}`);
  let now = startMs;
  d.on('change', onChange);
  for (const level of levels) {
    d.update('a', level, now);
    now += 20;
  }
  d.off('change', onChange);
  return changes;
}

test('update: turns on at the on threshold and off only after the hold time below the off threshold', () => {
  const d = new SpeakingDetector({ onDb: -40, offDb: -50, holdMs: 100, minChangeIntervalMs: 0 });
  // -45 is between the thresholds: not enough to start, enough to keep speaking.
  const levels = [-60, -45, -30, -45, -45, -60, -60, -60, -60, -60, -60];
  assert.deepEqual(feed(d, levels), ['40:a:on', '180:a:off']);
});

test('update: state changes are rate-limited to one per interval per speaker, and the latest state wins', () => {
  const d = new SpeakingDetector({ onDb: -40, offDb: -50, holdMs: 0, minChangeIntervalMs: 250 });
  // Flapping every tick: on at 0, then at most one change per 250 ms.
  const levels = Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? -20 : -70));
  const changes = feed(d, levels);
  assert.deepEqual(changes, ['0:a:on', '260:a:off', '520:a:on']);
});

test('remove: a speaker who leaves while speaking is reported as stopped', () => {
  const d = new SpeakingDetector();
  d.update('a', -10, 0);
  assert.equal(d.isSpeaking('a'), true);
  const seen: boolean[] = [];
  d.on('change', (_id, s) => seen.push(s));
  d.remove('a');
  assert.deepEqual(seen, [false]);
  assert.equal(d.isSpeaking('a'), false);
});
