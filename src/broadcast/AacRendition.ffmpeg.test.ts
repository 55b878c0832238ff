// The AAC-LC rendition end to end: a 440 Hz tone → FFmpeg's AAC encoder (WASM, worker) → fMP4 parts on
// the Opus part grid → ffprobe must find aac (LC) and ffmpeg decode it, on time and at the right pitch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AacEncoder } from '../audio/AacEncoder.js';
import { SineFrames, dominantFrequency } from '../testing/testSignals.js';
import { AAC_URIS, AacRendition } from './AacRendition.js';
import { concat } from './Mp4Boxes.js';
import type { PackagedPart } from './PartPackager.js';

const SECONDS = 6;
const FRAMES = (SECONDS * 48_000) / 960;

function run(cmd: string, args: string[]): { stdout: Buffer; stderr: string; status: number | null } {
  const r = spawnSync(cmd, args, { maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error;
  return { stdout: r.stdout, stderr: r.stderr.toString(), status: r.status };
}

test('AacRendition: parts of 23 or 24 AAC frames on the 0.5 s grid; ffprobe finds aac LC; ffmpeg hears 440 Hz', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rostra-aac-'));
  const aac = new AacRendition({ startedAtMs: Date.UTC(2024, 0, 1), bitrate: 48_000 });
  try {
    const parts: PackagedPart[] = [];
    const segments: Uint8Array[] = [];
    aac.packager.on('part', (p) => {
      parts.push(p);
      writeFileSync(join(dir, p.uri), p.bytes);
    });
    aac.packager.on('segment', (s) => {
      segments.push(s.bytes);
      writeFileSync(join(dir, s.uri), s.bytes);
    });
    let livePlaylist = '';
    aac.packager.on('segment', () => (livePlaylist ||= aac.packager.playlist.render()));
    const encoder = new AacEncoder({ bitrate: aac.bitrate });
    encoder.on('frame', (frame) => aac.push(frame));
    const tone = new SineFrames(440, 10_000);
    for (let i = 0; i < FRAMES; i++) encoder.push(tone.next(), 7_000 + i * 960); // the mix clock need not start at 0
    await encoder.finish();
    aac.end();

    // Every full part starts on or just after its grid line and holds 23 or 24 frames of 1024 samples.
    const full = parts.slice(0, -1);
    assert.ok(full.length >= 11, `parts: ${parts.length}`);
    full.forEach((p, n) => {
      assert.equal(p.msn, Math.floor(n / 8));
      assert.equal(p.partIndex, n % 8);
      assert.ok(p.baseDecodeTime >= n * 24_000 && p.baseDecodeTime < n * 24_000 + 1024, `part ${n} start`);
      assert.ok([23 * 1024, 24 * 1024].includes(p.durationSamples), `part ${n}: ${p.durationSamples}`);
    });
    assert.equal(segments.length, 2);
    assert.match(livePlaylist, /#EXT-X-PART-INF:PART-TARGET=0\.512\n/);
    const holdBack = Number(/PART-HOLD-BACK=([\d.]+)/.exec(livePlaylist)?.[1]);
    assert.ok(holdBack >= 2 * 0.512, `PART-HOLD-BACK ${holdBack} covers two of the longest parts`);
    assert.match(livePlaylist, /#EXT-X-MAP:URI="aac-init\.mp4"/);
    assert.match(livePlaylist, /#EXT-X-PART:DURATION=0\.(491|512),URI="aac-part0\.7\.m4s",INDEPENDENT=YES/);
    assert.match(livePlaylist, /#EXTINF:(3\.989|4\.011),\naac-seg0\.m4s\n/);

    writeFileSync(join(dir, AAC_URIS.init), aac.packager.initSegment);
    writeFileSync(join(dir, 'aac.m3u8'), aac.packager.playlist.render());
    writeFileSync(join(dir, 'whole.mp4'), concat([aac.packager.initSegment, ...segments]));
    for (const file of ['aac.m3u8', 'whole.mp4']) {
      const input = join(dir, file);
      const probe = run('ffprobe', [
        ...['-v', 'error', '-show_entries', 'stream=codec_name,profile,channels,sample_rate'],
        ...['-of', 'csv=p=0', input],
      ]);
      assert.equal(probe.stderr, '', `ffprobe ${file}`);
      const streams = new Set(
        probe.stdout
          .toString()
          .split('\n')
          .filter((l) => l.trim() !== ''),
      );
      assert.deepEqual([...streams], ['aac,LC,48000,1']);
      const r = run('ffmpeg', ['-v', 'warning', '-i', input, '-f', 's16le', '-ac', '1', '-ar', '48000', '-']);
      assert.equal(r.stderr, '', `ffmpeg ${file}`);
      assert.equal(r.status, 0);
      const pcm = new Int16Array(r.stdout.buffer, r.stdout.byteOffset, r.stdout.length >> 1);
      // The whole mix is there, padded to whole frames: no priming frame, nothing lost.
      const frames = Math.ceil((FRAMES * 960) / 1024);
      assert.ok(pcm.length >= (frames - 1) * 1024 && pcm.length <= (frames + 1) * 1024, `${pcm.length}`);
      assert.equal(dominantFrequency(pcm.subarray(48_000, 96_000), [220, 330, 440, 550, 660, 880]), 440);
      assert.equal(dominantFrequency(pcm.subarray(pcm.length - 48_000), [220, 330, 440, 550, 660, 880]), 440);
    }
  } finally {
    aac.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
