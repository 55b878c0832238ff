import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PartPackager, type PackagedPart, type PackagedSegment } from './PartPackager.js';
import { concat } from './Mp4Boxes.js';

const frame = (i: number, clockStart = 0) => ({
  opus: Uint8Array.of(0xf8, i & 0xff),
  sampleTime: clockStart + i * 960,
  durationSamples: 960,
});

/** The tfdt of a part (moof/mfhd is 16 bytes, then traf header 8, tfhd 16, tfdt header 12). */
function tfdtOf(bytes: Uint8Array): number {
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const off = 8 + 16 + 8 + 16 + 12;
  assert.equal(String.fromCharCode(...bytes.subarray(off - 8, off - 4)), 'tfdt');
  return view.getUint32(off) * 2 ** 32 + view.getUint32(off + 4);
}

test('push: cuts a part every 25 frames (0.5 s) and a segment every 8 parts, at exact frame boundaries', () => {
  const packager = new PartPackager({ preSkip: 312, startedAtMs: 1_000 });
  const parts: PackagedPart[] = [];
  const segments: PackagedSegment[] = [];
  packager.on('part', (p) => parts.push(p));
  packager.on('segment', (s) => segments.push(s));
  for (let i = 0; i < 201; i++) packager.push(frame(i, 777_000)); // the mix clock need not start at 0
  assert.equal(parts.length, 8);
  assert.deepEqual(
    parts.map((p) => [p.msn, p.partIndex, p.baseDecodeTime, tfdtOf(p.bytes), p.durationSamples]),
    Array.from({ length: 8 }, (_, i) => [0, i, i * 24_000, i * 24_000, 24_000]),
  );
  assert.equal(segments.length, 1);
  const seg = segments[0] as PackagedSegment;
  assert.deepEqual(
    [seg.msn, seg.duration, seg.partCount, seg.baseDecodeTime, seg.programDateTimeMs],
    [0, 4, 8, 0, 1_000],
  );
  assert.ok(Buffer.isBuffer(seg.bytes) && Buffer.isBuffer(packager.initSegment), 'sent as they are');
  assert.deepEqual(new Uint8Array(seg.bytes), concat(parts.map((p) => p.bytes)));
  assert.deepEqual(packager.position, { lastMsn: 0, partsInProgress: 0, ended: false });
  assert.equal(packager.part(0, 3), parts[3]?.bytes);
  assert.equal(packager.part(1, 0), undefined); // one frame pending, no part yet
  packager.close();
});

test('push: the playlist already lists a part when its event fires', () => {
  const packager = new PartPackager({ preSkip: 312, startedAtMs: 0 });
  const seen: string[] = [];
  packager.on('part', (p) => seen.push(`${p.uri}:${packager.playlist.render().includes(p.uri)}`));
  for (let i = 0; i < 50; i++) packager.push(frame(i));
  assert.deepEqual(seen, ['part0.0.m4s:true', 'part0.1.m4s:true']);
  assert.equal(packager.decideReload({ msn: 0, part: 1 }).kind, 'respond');
  assert.equal(packager.decideReload({ msn: 0, part: 2 }).kind, 'wait');
  packager.close();
});

test('push: the live window is bounded; bytes of segments that left it are released', () => {
  const packager = new PartPackager({
    preSkip: 312,
    startedAtMs: 0,
    partTargetS: 0.2,
    segmentTargetS: 1,
    windowSegments: 3,
  });
  for (let i = 0; i < 50 * 10; i++) packager.push(frame(i)); // 10 s: segments 0..9
  assert.deepEqual(packager.playlist.segmentMsns(), [7, 8, 9]);
  assert.equal(packager.segment(6), undefined);
  assert.equal(packager.part(6, 0), undefined);
  assert.ok(packager.segment(7));
  assert.ok(packager.part(9, 4));
  packager.close();
});

test('end: flushes a short last part and segment, then the playlist has ENDLIST', () => {
  const packager = new PartPackager({ preSkip: 312, startedAtMs: 0 });
  const events: string[] = [];
  packager.on('part', (p) => events.push(`part ${p.msn}.${p.partIndex} ${p.durationSamples}`));
  packager.on('segment', (s) => events.push(`segment ${s.msn} ${s.durationSamples}`));
  packager.on('end', () => events.push('end'));
  for (let i = 0; i < 30; i++) packager.push(frame(i));
  packager.end();
  packager.end();
  assert.deepEqual(events, ['part 0.0 24000', 'part 0.1 4800', 'segment 0 28800', 'end']);
  assert.match(packager.playlist.render(), /#EXTINF:0\.600,\nseg0\.m4s\n#EXT-X-ENDLIST\n$/);
  assert.throws(() => packager.push(frame(31)), TypeError);
  packager.close();
});

test('close: is idempotent and removes listeners', () => {
  const packager = new PartPackager({ preSkip: 312 });
  packager.on('part', () => undefined);
  packager.close();
  packager.close();
  assert.equal(packager.listenerCount(), 0);
});

test('alignTo: a second rendition puts each sample where the first did, so part N covers the same time in both', () => {
  const opus = new PartPackager({ preSkip: 312, startedAtMs: 1_000 });
  const aac = new PartPackager({ preSkip: 0, startedAtMs: 1_000, frameSamples: 1024, alignTo: opus });
  const opusParts: PackagedPart[] = [];
  const aacParts: PackagedPart[] = [];
  const aacSegments: PackagedSegment[] = [];
  opus.on('part', (p) => opusParts.push(p));
  aac.on('part', (p) => aacParts.push(p));
  aac.on('segment', (s) => aacSegments.push(s));
  const clock = 500_000;
  // The second encoder starts two mix frames late (its start message crossed to the engine a bit later),
  // and a frame from before the first rendition's start (it cannot have one) would be dropped.
  aac.push({ data: Uint8Array.of(1), sampleTime: clock - 1024, durationSamples: 1024 });
  for (let i = 0; i < 401; i++) opus.push(frame(i, clock));
  for (let i = 0; ; i++) {
    const sampleTime = clock + 2 * 960 + i * 1024;
    if (sampleTime + 1024 > clock + 401 * 960) break;
    aac.push({ data: Uint8Array.of(2), sampleTime, durationSamples: 1024 });
  }
  assert.equal(aacParts[0]?.baseDecodeTime, 2 * 960, 'its first part starts where its first sample falls');
  assert.equal(aacParts[0]?.msn, 0);
  assert.equal(aacParts[0]?.partIndex, 0);
  for (const [n, part] of aacParts.entries()) {
    const twin = opusParts[n];
    assert.ok(twin, `Opus part ${n}`);
    assert.deepEqual([part.msn, part.partIndex], [twin.msn, twin.partIndex]);
    if (n > 0)
      assert.ok(
        part.baseDecodeTime >= twin.baseDecodeTime && part.baseDecodeTime < twin.baseDecodeTime + 1024,
        `AAC part ${n} starts at ${part.baseDecodeTime}, on Opus's grid line ${twin.baseDecodeTime}`,
      );
  }
  assert.equal(aacSegments.length, 2);
  assert.equal(aacSegments[0]?.programDateTimeMs, 1_000 + 40, 'dated by its first sample, on the same clock');
});
