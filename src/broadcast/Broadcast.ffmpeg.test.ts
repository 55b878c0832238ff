// End to end with real media: a 440 Hz tone → real Opus encoder → fMP4 parts → LL-HLS files on disk,
// then Debian's ffprobe/ffmpeg must read them with nothing on stderr, for the right duration and pitch.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FRAME_SAMPLES, OpusFrameEncoder } from '../audio/OpusCodec.js';
import { SineFrames, dominantFrequency } from '../testing/testSignals.js';
import { concat } from './Mp4Boxes.js';
import { PartPackager } from './PartPackager.js';

const SECONDS = 6;
const FRAMES = (SECONDS * 48_000) / FRAME_SAMPLES;
const CANDIDATES = [220, 330, 440, 550, 660, 880];

function run(cmd: string, args: string[]): { stdout: Buffer; stderr: string; status: number | null } {
  const r = spawnSync(cmd, args, { maxBuffer: 64 * 1024 * 1024 });
  if (r.error) throw r.error; // e.g. ffmpeg missing: the test setup script installs it
  return { stdout: r.stdout, stderr: r.stderr.toString(), status: r.status };
}

/** Decodes to mono s16le at 48 kHz and returns the samples. */
function decode(input: string): Int16Array {
  const r = run('ffmpeg', ['-v', 'warning', '-i', input, '-f', 's16le', '-ac', '1', '-ar', '48000', '-']);
  assert.equal(r.stderr, '', `ffmpeg decode of ${input}`);
  assert.equal(r.status, 0);
  return new Int16Array(r.stdout.buffer, r.stdout.byteOffset, r.stdout.length >> 1);
}

test('PartPackager output: ffprobe and ffmpeg read the LL-HLS playlist and the whole file cleanly', () => {
  const dir = mkdtempSync(join(tmpdir(), 'rostra-fmp4-'));
  try {
    const encoder = new OpusFrameEncoder({ bitrate: 32_000 });
    const packager = new PartPackager({ preSkip: encoder.preSkip, startedAtMs: Date.UTC(2024, 0, 1) });
    const tone = new SineFrames(440, 10_000);
    const segments: Uint8Array[] = [];
    let parts = 0;
    packager.on('part', (p) => {
      writeFileSync(join(dir, p.uri), p.bytes);
      parts++;
    });
    let livePlaylist = '';
    packager.on('segment', () => (livePlaylist ||= packager.playlist.render()));
    packager.on('segment', (s) => {
      writeFileSync(join(dir, s.uri), s.bytes);
      segments.push(s.bytes);
    });
    for (let i = 0; i < FRAMES; i++) {
      packager.push({
        opus: encoder.encode(tone.next()),
        sampleTime: 5_000 + i * FRAME_SAMPLES,
        durationSamples: 960,
      });
    }
    packager.end();
    assert.equal(parts, 12);
    assert.equal(segments.length, 2);
    writeFileSync(join(dir, 'init.mp4'), packager.initSegment);
    writeFileSync(join(dir, 'playlist.m3u8'), packager.playlist.render());
    writeFileSync(join(dir, 'whole.mp4'), concat([packager.initSegment, ...segments]));

    // One part after the init segment is playable on its own (INDEPENDENT=YES is true).
    writeFileSync(
      join(dir, 'one-part.mp4'),
      concat([packager.initSegment, packager.part(1, 3) as Uint8Array]),
    );
    assert.equal(decode(join(dir, 'one-part.mp4')).length, 25 * FRAME_SAMPLES - 312);
    assert.match(
      livePlaylist,
      /#EXT-X-PART:DURATION=0\.500,URI="part0\.7\.m4s",INDEPENDENT=YES\n#EXTINF:4\.000,\nseg0\.m4s\n/,
    );

    for (const file of ['playlist.m3u8', 'whole.mp4']) {
      const input = join(dir, file);
      const probe = run('ffprobe', [
        '-v',
        'error',
        '-show_entries',
        'stream=codec_name,channels,sample_rate',
        '-of',
        'csv=p=0',
        input,
      ]);
      assert.equal(probe.stderr, '', `ffprobe ${file}`);
      // An HLS input lists its stream twice (under its program too): compare the distinct lines.
      const streams = new Set(
        probe.stdout
          .toString()
          .split('\n')
          .filter((l) => l.trim() !== ''),
      );
      assert.deepEqual([...streams], ['opus,48000,1']);
      const nul = run('ffmpeg', ['-v', 'warning', '-i', input, '-f', 'null', '-']);
      assert.equal(nul.stderr, '', `ffmpeg ${file}`);
      assert.equal(nul.status, 0);

      const pcm = decode(input);
      // ffmpeg trims the 312-sample PreSkip from dOps: exactly the encoded duration minus the encoder delay.
      assert.equal(pcm.length, FRAMES * FRAME_SAMPLES - 312, `decoded samples of ${file}`);
      assert.equal(dominantFrequency(pcm.subarray(48_000, 96_000), CANDIDATES), 440);
      assert.equal(dominantFrequency(pcm.subarray(pcm.length - 48_000), CANDIDATES), 440);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
