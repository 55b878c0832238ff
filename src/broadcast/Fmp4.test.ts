import { test } from 'node:test';
import assert from 'node:assert/strict';
import { opusFragment, opusInitSegment } from './Fmp4.js';

interface Box {
  type: string;
  start: number;
  size: number;
  body: Uint8Array;
}

const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl', 'mvex', 'dinf', 'moof', 'traf']);

/** Lists boxes as paths ("moov/trak/tkhd"), descending into plain containers. */
function walk(bytes: Uint8Array, prefix = '', base = 0, out = new Map<string, Box>()): Map<string, Box> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let off = 0; off < bytes.length;) {
    const size = view.getUint32(off);
    const type = String.fromCharCode(...bytes.subarray(off + 4, off + 8));
    assert.ok(size >= 8 && off + size <= bytes.length, `bad size for ${prefix}${type}`);
    const body = bytes.subarray(off + 8, off + size);
    const path = prefix + type;
    out.set(path, { type, start: base + off, size, body });
    if (CONTAINERS.has(type)) walk(body, `${path}/`, base + off + 8, out);
    off += size;
  }
  return out;
}

test('opusInitSegment: ftyp + moov with an Opus sample entry, big-endian dOps, mvex/trex and no edit list', () => {
  const boxes = walk(opusInitSegment({ preSkip: 312 }));
  for (const path of [
    'ftyp',
    'moov/mvhd',
    'moov/trak/tkhd',
    'moov/trak/mdia/mdhd',
    'moov/trak/mdia/hdlr',
    'moov/trak/mdia/minf/smhd',
    'moov/trak/mdia/minf/dinf/dref',
    'moov/trak/mdia/minf/stbl/stsd',
    'moov/trak/mdia/minf/stbl/stts',
    'moov/trak/mdia/minf/stbl/stsc',
    'moov/trak/mdia/minf/stbl/stsz',
    'moov/trak/mdia/minf/stbl/stco',
    'moov/mvex/trex',
  ]) {
    assert.ok(boxes.has(path), path);
  }
  assert.equal(
    [...boxes.keys()].some((p) => p.includes('edts') || p.includes('elst')),
    false,
  );
  const mdhd = boxes.get('moov/trak/mdia/mdhd')?.body as Uint8Array;
  assert.equal(new DataView(mdhd.buffer, mdhd.byteOffset).getUint32(12), 48_000);
  assert.equal(
    String.fromCharCode(...(boxes.get('moov/trak/mdia/hdlr')?.body.subarray(8, 12) ?? [])),
    'soun',
  );
  // stsd: fullbox header(4) + entry_count(4), then the 'Opus' entry: 28 bytes of AudioSampleEntry + dOps.
  const stsd = boxes.get('moov/trak/mdia/minf/stbl/stsd')?.body as Uint8Array;
  const entry = stsd.subarray(8);
  assert.equal(String.fromCharCode(...entry.subarray(4, 8)), 'Opus');
  assert.equal((entry[24] as number) * 256 + (entry[25] as number), 1); // channelcount
  const dOps = entry.subarray(36);
  assert.equal(String.fromCharCode(...dOps.subarray(4, 8)), 'dOps');
  // version 0, 1 channel, PreSkip 312 (0x0138), 48000 Hz (0x0000BB80), gain 0, mapping family 0
  assert.deepEqual([...dOps.subarray(8)], [0, 1, 0x01, 0x38, 0x00, 0x00, 0xbb, 0x80, 0, 0, 0]);
});

test('opusFragment: moof with tfdt v1, per-sample trun, and data_offset pointing at the first sample', () => {
  const samples = [Uint8Array.of(1, 2, 3), Uint8Array.of(4, 5), Uint8Array.of(6)];
  const bytes = opusFragment({
    sequenceNumber: 7,
    baseDecodeTime: 2 ** 33 + 960,
    samples,
    durations: [960, 960, 960],
  });
  const boxes = walk(bytes);
  const view = (b: Box | undefined) => new DataView((b as Box).body.buffer, (b as Box).body.byteOffset);
  assert.equal(view(boxes.get('moof/mfhd')).getUint32(4), 7);
  const tfhd = view(boxes.get('moof/traf/tfhd'));
  assert.equal(tfhd.getUint32(0), 0x020000); // version 0, default-base-is-moof
  const tfdt = view(boxes.get('moof/traf/tfdt'));
  assert.equal(tfdt.getUint8(0), 1);
  assert.equal(tfdt.getUint32(4) * 2 ** 32 + tfdt.getUint32(8), 2 ** 33 + 960);
  const trun = view(boxes.get('moof/traf/trun'));
  assert.equal(trun.getUint32(0), 0x000301);
  assert.equal(trun.getUint32(4), 3);
  const dataOffset = trun.getUint32(8);
  assert.equal(dataOffset, (boxes.get('moof') as Box).size + 8);
  assert.deepEqual(
    [trun.getUint32(12), trun.getUint32(16), trun.getUint32(20), trun.getUint32(24)],
    [960, 3, 960, 2],
  );
  assert.deepEqual([...bytes.subarray(dataOffset)], [1, 2, 3, 4, 5, 6]);
  assert.equal((boxes.get('mdat') as Box).size, 8 + 6);
});

test('opusFragment: rejects an empty fragment or mismatched durations', () => {
  assert.throws(
    () => opusFragment({ sequenceNumber: 1, baseDecodeTime: 0, samples: [], durations: [] }),
    TypeError,
  );
  assert.throws(
    () => opusFragment({ sequenceNumber: 1, baseDecodeTime: 0, samples: [Uint8Array.of(1)], durations: [] }),
    TypeError,
  );
});
