/**
 * `rostra listen`: a headless LL-HLS listener for a space (or its replay) that reports what it hears, the
 * stalls a player would have had, and the delay of the bots' timing pulses. See src/listener/.
 */
import {
  ListenError,
  LiveListener,
  parseListenTarget,
  SILENCE_LIMIT_S,
  type ListenReport,
  type PulseReference,
} from '../listener/index.js';
import { numberFlag, parseArgs, UsageError } from './args.js';

export const LISTEN_USAGE = `Usage: rostra listen <page or playlist URL> [--seconds S] [--pulse-every-ms N] [--expect-sound]
                     [--json]
  Listens to a live space (http://host/s/<id> or its /live/<id>/index.m3u8) or a replay (/r/<id>), for
  S seconds (default 10), like a player would: ticket, heartbeats, blocking playlist reloads, every part.
  A replay plays its first S seconds of audio (as fast as it downloads), and reports no delay.
  Prints once a second what it hears: dominant frequencies, level, stalls, parts, and the delay of 1 kHz
  timing pulses (p50/p99). Delay is measured to when the audio reached this player, from:
    --pulse-every-ms N   pulses emitted at wall-clock multiples of N ms (glass-to-glass), or by default
                         the server's EXT-X-PROGRAM-DATE-TIME of the pulse (server-to-player).
  A stall is playback standing still for longer than 1.5 part targets: counted by wall time without new
  audio (a frozen stream stalls even if no part ever comes), and whenever the media sequence jumps or
  goes backwards (an origin restart). Digital silence in the audio is reported too.
    --expect-sound       exit 1 when it hears ${SILENCE_LIMIT_S} s or more of digital silence
  --json prints only a last line:
    {"frequencies":[Hz...],"stalls":N,"delayMs":{"p50":ms,"p99":ms},"parts":N,...}`;

/** A replay's delay would be measured against when it was recorded: it means nothing, so it is left out. */
function summary(r: ListenReport, replay: boolean): string {
  const tones = r.frequencies.length > 0 ? `${r.frequencies.join(', ')} Hz` : 'nothing';
  const level = r.levelDbfs === null ? '' : `, level ${r.levelDbfs} dBFS`;
  const delay =
    r.delayMs && !replay
      ? `, delay p50 ${r.delayMs.p50} ms p99 ${r.delayMs.p99} ms (${r.delayReference === 'pdt' ? 'server→player' : 'glass-to-glass'}, ${r.pulses} pulses)`
      : '';
  const silence =
    r.silentSeconds > 0
      ? ` (${r.silentSeconds} s digital silence, longest ${r.longestSilenceSeconds} s)`
      : '';
  const stalled = r.stalls > 0 ? ` (${r.stalledSeconds} s stalled)` : '';
  return `${r.audioSeconds.toFixed(1)} s: hears ${tones}${level}${silence}; ${r.parts} parts, ${r.stalls} stalls${stalled}${delay}`;
}

export function jsonLine(r: ListenReport, replay = false): string {
  return JSON.stringify({
    frequencies: r.frequencies,
    stalls: r.stalls,
    delayMs: (replay ? null : r.delayMs) ?? { p50: null, p99: null },
    parts: r.parts,
    levelDbfs: r.levelDbfs,
    pulses: r.pulses,
    delayReference: r.delayReference,
    ended: r.ended,
    stalledSeconds: r.stalledSeconds,
    silentSeconds: r.silentSeconds,
    longestSilenceSeconds: r.longestSilenceSeconds,
  });
}

export async function listen(argv: string[]): Promise<number> {
  let url: string;
  let seconds: number;
  let json: boolean;
  let expectSound: boolean;
  let reference: PulseReference | undefined;
  try {
    const args = parseArgs(argv, {
      values: ['seconds', 'pulse-every-ms'],
      booleans: ['json', 'help', 'expect-sound'],
      positionals: 1,
    });
    if (args.booleans.has('help')) {
      console.log(LISTEN_USAGE);
      return 0;
    }
    const given = args.positionals[0];
    if (given === undefined) throw new UsageError('give the URL of a space page or playlist');
    url = given;
    seconds = numberFlag(args, 'seconds', 10, 0.5, 86_400);
    json = args.booleans.has('json');
    expectSound = args.booleans.has('expect-sound');
    const every = numberFlag(args, 'pulse-every-ms', 0, 0, 60_000);
    if (every > 0) reference = { kind: 'wallclock', everyMs: every };
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`rostra listen: ${err.message}\n\n${LISTEN_USAGE}`);
    return 2;
  }

  let replay = false;
  try {
    replay = parseListenTarget(url).kind === 'replay';
  } catch (err) {
    // A bad URL is reported by the run below, with the same exit code as every refusal.
    if (!(err instanceof ListenError)) throw err;
  }
  const stop = new AbortController();
  const onSigint = () => stop.abort();
  process.once('SIGINT', onSigint);
  try {
    const listener = new LiveListener({
      url,
      seconds,
      signal: stop.signal,
      ...(reference ? { reference } : {}),
      ...(json ? {} : { onProgress: (r: ListenReport) => console.log(summary(r, replay)) }),
    });
    const report = await listener.run();
    if (json) console.log(jsonLine(report, replay));
    else console.log(`Done. ${summary(report, replay)}${report.ended ? ' (the stream ended)' : ''}`);
    if (report.parts === 0) {
      console.error('rostra listen: no audio arrived.');
      return 1;
    }
    if (expectSound && report.longestSilenceSeconds >= SILENCE_LIMIT_S) {
      console.error(
        `rostra listen: ${report.longestSilenceSeconds} s of digital silence where sound was expected.`,
      );
      return 1;
    }
    return 0;
  } catch (err) {
    if (err instanceof ListenError) {
      console.error(`rostra listen: ${err.message}`);
      if (err.info.code === 'space_ended') {
        const { origin, spaceId } = parseListenTarget(url);
        console.error(
          `The space has ended. Its replay, if it was recorded: rostra listen ${origin}/r/${spaceId}`,
        );
      }
      return 1;
    }
    throw err;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
