import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JitterBuffer, type JitterSlot } from './JitterBuffer.js';
import type { OpusPacket } from '../stage/StageAudio.js';

// 0xf8: TOC of a CELT fullband 20 ms code-0 packet, so the buffer reads 960 samples from it.
function pkt(sequence: number, timestamp: number, tag = sequence): OpusPacket {
  return { sequence, timestamp, arrivalMs: 0, payload: new Uint8Array([0xf8, tag & 0xff]) };
}

/** Pulls n slots and describes them: a packet by its tag, 'L' for lost, '-' for silent. */
function pullN(jb: JitterBuffer, n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(describe(jb.pull()));
  return out;
}

function describe(slot: JitterSlot): string {
  if (slot.kind === 'packet') return String(slot.packet.payload[1]);
  return slot.kind === 'lost' ? 'L' : '-';
}

test('pull: in-order packets play after the target delay, one per tick', () => {
  const jb = new JitterBuffer({ targetDelayMs: 40 });
  for (let i = 0; i < 4; i++) jb.push(pkt(i, i * 960));
  assert.deepEqual(pullN(jb, 6), ['-', '-', '0', '1', '2', '3']);
});

test('push: packets that arrive out of order play in timestamp order', () => {
  const jb = new JitterBuffer();
  for (const i of [0, 2, 1, 4, 3]) jb.push(pkt(i, i * 960));
  assert.deepEqual(pullN(jb, 7), ['-', '-', '0', '1', '2', '3', '4']);
});

test('push: a reordered packet older than the first one still plays while priming', () => {
  const jb = new JitterBuffer();
  jb.push(pkt(1, 960));
  assert.equal(jb.push(pkt(0, 0)), 'accepted');
  assert.deepEqual(pullN(jb, 4), ['-', '-', '0', '1']);
});

test('push: duplicates are dropped and counted', () => {
  const jb = new JitterBuffer();
  assert.equal(jb.push(pkt(0, 0)), 'accepted');
  assert.equal(jb.push(pkt(1, 960)), 'accepted');
  assert.equal(jb.push(pkt(1, 960)), 'duplicate');
  assert.equal(jb.push(pkt(0, 0)), 'duplicate');
  assert.deepEqual(pullN(jb, 4), ['-', '-', '0', '1']);
  assert.equal(jb.stats.duplicates, 2);
});

test('pull: a missing packet is reported lost (for PLC) and playout continues after it', () => {
  const jb = new JitterBuffer();
  for (const i of [0, 1, 3, 4]) jb.push(pkt(i, i * 960));
  assert.deepEqual(pullN(jb, 7), ['-', '-', '0', '1', 'L', '3', '4']);
  assert.equal(jb.stats.lost, 1);
});

test('push: a packet arriving after its slot was concealed is dropped as late', () => {
  const jb = new JitterBuffer();
  for (const i of [0, 1, 3]) jb.push(pkt(i, i * 960));
  assert.deepEqual(pullN(jb, 5), ['-', '-', '0', '1', 'L']);
  assert.equal(jb.push(pkt(2, 2 * 960)), 'late');
  assert.deepEqual(pullN(jb, 1), ['3']);
});

test('push: the 16-bit sequence number wraps without loss or duplicates', () => {
  const jb = new JitterBuffer();
  const seqs = [65533, 65534, 65535, 0, 1, 2];
  seqs.forEach((seq, i) => assert.equal(jb.push(pkt(seq, 5000 + i * 960, i)), 'accepted'));
  assert.deepEqual(pullN(jb, 8), ['-', '-', '0', '1', '2', '3', '4', '5']);
  assert.equal(jb.stats.lost, 0);
});

test('push: the 32-bit timestamp wraps, even with reordering across the wrap', () => {
  const jb = new JitterBuffer();
  const base = 2 ** 32 - 2 * 960;
  const ts = (i: number) => (base + i * 960) % 2 ** 32;
  for (const i of [0, 1, 3, 2, 4]) assert.equal(jb.push(pkt(100 + i, ts(i), i)), 'accepted');
  assert.deepEqual(pullN(jb, 7), ['-', '-', '0', '1', '2', '3', '4']);
  assert.equal(jb.stats.lost, 0);
});

test('pull: after a long gap the buffer goes idle, then a new talk spurt resumes after the target delay only', () => {
  const jb = new JitterBuffer({ targetDelayMs: 40, idleAfterMs: 100 });
  for (let i = 0; i < 3; i++) jb.push(pkt(i, i * 960));
  assert.deepEqual(pullN(jb, 5), ['-', '-', '0', '1', '2']);
  // Muted: 4 concealed slots (< 100 ms), then idle silence, not minutes of PLC.
  assert.deepEqual(pullN(jb, 8), ['L', 'L', 'L', 'L', '-', '-', '-', '-']);
  assert.equal(jb.playing, false);
  // Unmuted 10 s later, with new sequence numbers and timestamps far ahead.
  const t = 10 * 48000;
  jb.push(pkt(500, t, 50));
  jb.push(pkt(501, t + 960, 51));
  assert.deepEqual(pullN(jb, 4), ['-', '-', '50', '51']);
});

test('pull: a new stream whose timestamps go backwards restarts instead of being dropped forever', () => {
  const jb = new JitterBuffer({ targetDelayMs: 0, lateResyncCount: 3 });
  for (let i = 0; i < 3; i++) jb.push(pkt(i, 1_000_000 + i * 960));
  assert.deepEqual(pullN(jb, 3), ['0', '1', '2']);
  assert.equal(jb.push(pkt(3, 5000, 7)), 'late');
  assert.equal(jb.push(pkt(4, 5960, 8)), 'late');
  assert.equal(jb.push(pkt(5, 6920, 9)), 'restarted');
  jb.push(pkt(6, 7880, 10));
  assert.deepEqual(pullN(jb, 2), ['9', '10']);
});

test('push: memory and delay are bounded when packets pile up', () => {
  const jb = new JitterBuffer({ targetDelayMs: 40, maxDelayMs: 200 });
  for (let i = 0; i < 500; i++) jb.push(pkt(i, i * 960));
  assert.equal(jb.size, 10); // 200 ms of 20 ms packets
  assert.equal(jb.stats.overflowDropped, 490);
  assert.deepEqual(pullN(jb, 3), ['-', '-', String(490 & 0xff)]);
});

test('pull: a gap in timestamps longer than the buffer (DTX) is skipped, not concealed', () => {
  const jb = new JitterBuffer({ targetDelayMs: 0 });
  jb.push(pkt(0, 0));
  jb.push(pkt(1, 48000)); // one second later, next sequence number
  assert.deepEqual(pullN(jb, 2), ['0', '1']);
});

test('constructor: rejects contradictory options', () => {
  assert.throws(() => new JitterBuffer({ targetDelayMs: 100, maxDelayMs: 60 }), TypeError);
});

test('pull: a standing queue (the packets of a stall, arriving at once) is drained to the target at the next pause', () => {
  const jb = new JitterBuffer({ targetDelayMs: 40 });
  let seq = 0;
  let level = 20; // talking (−20 dBov)
  const send = (n: number) => {
    for (let i = 0; i < n; i++, seq++) jb.push({ ...pkt(seq, seq * 960), audioLevel: level });
  };
  // Steady: one packet per tick, with jitter (bursts of three, then nothing for two ticks).
  for (let t = 0; t < 300; t++) {
    send(t % 3 === 0 ? 3 : 0);
    jb.pull();
  }
  assert.equal(jb.stats.overflowDropped, 0, 'jitter is not standing delay');
  assert.equal(jb.stats.lost, 0);
  // A stall: 7 ticks' packets arrive together (within maxDelay), then one per tick, still talking.
  send(7);
  const sizes: number[] = [];
  const tick = () => {
    send(1);
    sizes.push(jb.size);
    return jb.pull();
  };
  for (let t = 0; t < 60; t++) tick();
  assert.ok((sizes.at(-1) ?? 0) >= 9, `a sound is never cut: ${sizes.join(',')}`);
  assert.equal(jb.stats.overflowDropped, 0);
  // A pause between words: the queued pause is dropped down to the target, faded from what it replaced.
  level = 127;
  let faded = 0;
  for (let t = 0; t < 30; t++) {
    const slot = tick();
    if (slot.kind === 'packet' && slot.fadeFrom) faded++;
  }
  assert.ok((sizes.at(-1) ?? 99) <= 3, `drained back to the target: ${sizes.join(',')}`);
  assert.ok(jb.stats.overflowDropped >= 6, 'the stale audio was dropped');
  assert.equal(faded, 1, 'once, with a fade');
  assert.equal(jb.stats.lost, 0, 'and nothing was concealed for it');
});
