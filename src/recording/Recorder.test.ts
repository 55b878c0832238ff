import assert from 'node:assert/strict';
import {
  appendFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { dominantFrequency } from '../testing/testSignals.js';
import { Recorder, RecordingFinishedError } from './Recorder.js';
import { JOURNAL_FILE, parseJournal } from './RecordingJournal.js';
import { ffmpegDecode, ffprobeDuration, tonePackager } from '../testing/recordingTestKit.js';
import { recoverInterrupted } from './recoverInterrupted.js';

const T0 = Date.UTC(2024, 0, 1);
const dirs: string[] = [];
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'rostra-rec-'));
  dirs.push(d);
  return d;
};
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const journalOf = (dir: string) => parseJournal(readFileSync(join(dir, JOURNAL_FILE), 'latin1')).lines;

test('Recorder: parts go to seg<msn>.m4s, each journaled after its data; finish writes the VOD playlist', async () => {
  const dir = join(tempDir(), 'space1');
  const { packager, push } = tonePackager(440, T0);
  const recorder = await Recorder.open({ dir, spaceId: 'space1', packager, programDateTimeMs: T0 });
  assert.equal(recorder.resumed, false);
  const partBytes: number[] = [];
  packager.on('part', (p) => partBytes.push(p.bytes.length));
  push(4.5);
  await recorder.flushed();
  // Mid-way, the in-progress segment's file holds exactly its journaled parts.
  assert.equal(statSync(join(dir, 'seg2.m4s')).size, partBytes[8]);
  packager.end();
  const { durationSeconds } = await recorder.finish();
  assert.equal(durationSeconds, 4.5);
  assert.deepEqual(await recorder.finish(), { durationSeconds: 4.5 }, 'finish is idempotent');
  await recorder.close();

  const lines = journalOf(dir);
  assert.deepEqual(lines[0], { type: 'session', n: 0, init: 'init.mp4', pdt: T0 });
  const parts = lines.filter((l) => l.type === 'part');
  assert.deepEqual(
    parts.map((p) => [p.msn, p.i, p.samples]),
    [0, 0, 0, 0, 1, 1, 1, 1, 2].map((msn, k) => [msn, k % 4, 24_000]),
  );
  assert.deepEqual(
    lines.filter((l) => l.type === 'segment').map((l) => l.msn),
    [0, 1, 2],
  );
  for (const msn of [0, 1, 2]) {
    const last = parts.filter((p) => p.msn === msn).at(-1);
    assert.equal(statSync(join(dir, `seg${msn}.m4s`)).size, last?.end, `seg${msn} size`);
  }
  assert.equal(
    readFileSync(join(dir, 'index.m3u8'), 'utf8'),
    `#EXTM3U
#EXT-X-VERSION:6
#EXT-X-TARGETDURATION:2
#EXT-X-PLAYLIST-TYPE:VOD
#EXT-X-MEDIA-SEQUENCE:0
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-MAP:URI="init.mp4"
#EXT-X-PROGRAM-DATE-TIME:2024-01-01T00:00:00.000Z
#EXTINF:2.000,
seg0.m4s
#EXTINF:2.000,
seg1.m4s
#EXTINF:0.500,
seg2.m4s
#EXT-X-ENDLIST
`,
  );
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'finished.json'), 'utf8')).durationSeconds, 4.5);
  assert.deepEqual(
    readdirSync(dir).filter((n) => n.endsWith('.tmp')),
    [],
    'no temp files left',
  );

  const pcm = ffmpegDecode(join(dir, 'index.m3u8'));
  assert.equal(pcm.length, 4.5 * 48_000 - 312, 'every sample, minus the encoder delay');
  assert.equal(dominantFrequency(pcm.subarray(48_000, 96_000), [330, 440, 550, 660]), 440);
  await assert.rejects(Recorder.open({ dir, spaceId: 'space1', packager }), RecordingFinishedError);
});

test('Recorder: reopening after a crash mid-write recovers the journaled parts and resumes after a discontinuity', async () => {
  const dir = join(tempDir(), 'space2');
  const first = tonePackager(440, T0);
  const a = await Recorder.open({ dir, spaceId: 'space2', packager: first.packager, programDateTimeMs: T0 });
  first.push(3); // seg0 complete (4 parts), seg1 in progress with 2 parts
  await a.close(); // the process dies here: nothing finishes, the files stay as they are
  // ...and it died in the middle of the next part: half its bytes written, its journal line torn.
  const seg1 = join(dir, 'seg1.m4s');
  const seg1Size = statSync(seg1).size;
  appendFileSync(seg1, Buffer.alloc(300, 7));
  appendFileSync(join(dir, 'seg2.m4s'), Buffer.alloc(50, 7)); // a file no journal line vouches for
  appendFileSync(join(dir, JOURNAL_FILE), '{"type":"part","msn":1,"i":2,"by');

  const second = tonePackager(660, T0 + 60_000);
  const b = await Recorder.open({
    dir,
    spaceId: 'space2',
    packager: second.packager,
    programDateTimeMs: T0 + 60_000,
  });
  assert.equal(b.resumed, true);
  assert.equal(b.durationSeconds, 3, 'the recovered duration is what the journal proves');
  assert.equal(statSync(seg1).size, seg1Size, 'the unjournaled tail of seg1 is cut off');
  assert.equal(existsSync(join(dir, 'seg2.m4s')), false, 'the unjournaled file is removed');
  second.push(2.5);
  second.packager.end();
  assert.deepEqual(await b.finish(), { durationSeconds: 5.5 });

  const lines = journalOf(dir);
  assert.deepEqual(
    lines.filter((l) => l.type === 'session'),
    [
      { type: 'session', n: 0, init: 'init.mp4', pdt: T0 },
      { type: 'session', n: 1, init: 'init.mp4', pdt: T0 + 60_000 },
    ],
    'the same encoder settings give the same init segment, so it is reused',
  );
  assert.equal(
    readFileSync(join(dir, 'index.m3u8'), 'utf8'),
    `#EXTM3U
#EXT-X-VERSION:6
#EXT-X-TARGETDURATION:2
#EXT-X-PLAYLIST-TYPE:VOD
#EXT-X-MEDIA-SEQUENCE:0
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-MAP:URI="init.mp4"
#EXT-X-PROGRAM-DATE-TIME:2024-01-01T00:00:00.000Z
#EXTINF:2.000,
seg0.m4s
#EXTINF:1.000,
seg1.m4s
#EXT-X-DISCONTINUITY
#EXT-X-PROGRAM-DATE-TIME:2024-01-01T00:01:00.000Z
#EXTINF:2.000,
seg2.m4s
#EXTINF:0.500,
seg3.m4s
#EXT-X-ENDLIST
`,
  );
  const playlist = join(dir, 'index.m3u8');
  assert.ok(Math.abs(ffprobeDuration(playlist) - 5.5) <= 0.5, 'ffprobe reads the whole replay');
  const pcm = ffmpegDecode(playlist);
  assert.ok(Math.abs(pcm.length - 5.5 * 48_000) <= 2 * 312, `decoded ${pcm.length} samples`);
  const candidates = [330, 440, 550, 660];
  assert.equal(dominantFrequency(pcm.subarray(48_000, 96_000), candidates), 440, 'before the crash');
  assert.equal(dominantFrequency(pcm.subarray(pcm.length - 48_000), candidates), 660, 'after the resume');
});

test('recoverInterrupted: finishes recordings of spaces no longer live, leaves live and finished ones', async () => {
  const root = tempDir();
  for (const [id, seconds] of [
    ['ended1', 2.5],
    ['live1', 1],
  ] as const) {
    const { packager, push } = tonePackager(440, T0);
    const r = await Recorder.open({ dir: join(root, id), spaceId: id, packager });
    push(seconds);
    await r.close();
  }
  appendFileSync(join(root, 'ended1', JOURNAL_FILE), '{"type":"pa'); // torn by the crash
  const done = await recoverInterrupted({ recordingsDir: root, isLive: async (id) => id === 'live1' });
  assert.deepEqual(
    done.map((d) => [d.spaceId, d.durationSeconds]),
    [['ended1', 2.5]],
  );
  assert.equal(existsSync(join(root, 'ended1', 'index.m3u8')), true);
  assert.equal(existsSync(join(root, 'live1', 'finished.json')), false, 'a live one is left to resume');
  assert.equal(ffmpegDecode(join(root, 'ended1', 'index.m3u8')).length, 2.5 * 48_000 - 312);
  assert.deepEqual(await recoverInterrupted({ recordingsDir: root, isLive: async () => true }), []);
  assert.deepEqual(
    await recoverInterrupted({ recordingsDir: join(root, 'missing'), isLive: async () => false }),
    [],
  );
});

test('Recorder: close is idempotent and stops recording; a later open resumes with the next MSN', async () => {
  const dir = join(tempDir(), 'space3');
  const one = tonePackager(440, T0);
  const r = await Recorder.open({ dir, spaceId: 'space3', packager: one.packager });
  one.push(2);
  await Promise.all([r.close(), r.close()]);
  one.push(1); // after close: not recorded
  const two = tonePackager(440, T0);
  const r2 = await Recorder.open({ dir, spaceId: 'space3', packager: two.packager });
  assert.equal(r2.durationSeconds, 2);
  two.push(0.5);
  two.packager.end();
  await r2.finish();
  const parts = journalOf(dir).filter((l) => l.type === 'part');
  assert.deepEqual(
    parts.map((p) => p.msn),
    [0, 0, 0, 0, 1],
  );
});

test('Recorder: parts packaged while the directory is still opening are recorded, in order', async () => {
  const dir = join(tempDir(), 'space4');
  const { packager, push } = tonePackager(440, T0);
  const opening = Recorder.open({ dir, spaceId: 'space4', packager });
  push(2.5); // synchronously, before open() has done any I/O
  const r = await opening;
  packager.end();
  assert.deepEqual(await r.finish(), { durationSeconds: 2.5 });
  assert.deepEqual(
    journalOf(dir)
      .filter((l) => l.type === 'part')
      .map((p) => [p.msn, p.i]),
    [
      [0, 0],
      [0, 1],
      [0, 2],
      [0, 3],
      [1, 0],
    ],
  );
  assert.equal(ffmpegDecode(join(dir, 'index.m3u8')).length, 2.5 * 48_000 - 312);
});
