/**
 * Debian's Chromium for tests, driven by playwright-core: never a downloaded browser. Fake media devices
 * play a WAV file as the microphone; loopback ICE candidates are allowed.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export async function launchChromium(opts: { fakeAudioWav?: string } = {}): Promise<Browser> {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: the test setup installs Debian's chromium`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--use-fake-ui-for-media-stream',
      '--use-fake-device-for-media-stream',
      '--allow-loopback-in-peer-connection',
      '--autoplay-policy=no-user-gesture-required',
      ...(opts.fakeAudioWav ? [`--use-file-for-fake-audio-capture=${opts.fakeAudioWav}`] : []),
    ],
  });
}

/** A mono 48 kHz WAV of a sine, made with Debian's ffmpeg (cached per frequency). */
export function toneWav(frequencyHz: number, seconds = 30): string {
  const dir = join(tmpdir(), 'rostra-tones');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `sine-${frequencyHz}-${seconds}.wav`);
  if (existsSync(file)) return file;
  const r = spawnSync('ffmpeg', [
    '-v',
    'error',
    '-y',
    '-f',
    'lavfi',
    '-i',
    `sine=frequency=${frequencyHz}:sample_rate=48000`,
    '-t',
    String(seconds),
    '-ac',
    '1',
    file,
  ]);
  if (r.status !== 0) throw new Error(`ffmpeg could not make ${file}: ${r.stderr.toString()}`);
  return file;
}
