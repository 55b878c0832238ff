/**
 * `rostra listen`: a headless LL-HLS listener for a space (or its replay) that reports what it hears, the
 * stalls a player would have had, and the delay of the bots' timing pulses. See src/listener/.
 */
import { ListenError, LiveListener, type ListenReport, type PulseReference } from '../listener/index.js';
import { numberFlag, parseArgs, UsageError } from './args.js';

export const LISTEN_USAGE = `Usage: rostra listen <page or playlist URL> [--seconds S] [--pulse-every-ms N] [--json]
  Listens to a live space (http://host/s/<id> or its /live/<id>/index.m3u8) or a replay (/r/<id>), for
  S seconds (default 10), like a player would: ticket, heartbeats, blocking playlist reloads, every part.
  Prints once a second what it hears: dominant frequencies, level, stalls, parts, and the delay of 1 kHz
  timing pulses (p50/p99). Delay is measured to when the audio reached this player, from:
    --pulse-every-ms N   pulses emitted at wall-clock multiples of N ms (glass-to-glass), or by default
                         the server's EXT-X-PROGRAM-DATE-TIME of the pulse (server-to-player).
  A stall is a part arriving more than 1.5 part targets after a player started at the first part would
  have needed it. --json prints only a last line:
    {"frequencies":[Hz...],"stalls":N,"delayMs":{"p50":ms,"p99":ms},"parts":N,...}`;

function summary(r: ListenReport): string {
  const tones = r.frequencies.length > 0 ? `${r.frequencies.join(', ')} Hz` : 'nothing';
  const level = r.levelDbfs === null ? '' : `, level ${r.levelDbfs} dBFS`;
  const delay = r.delayMs
    ? `, delay p50 ${r.delayMs.p50} ms p99 ${r.delayMs.p99} ms (${r.delayReference === 'pdt' ? 'server→player' : 'glass-to-glass'}, ${r.pulses} pulses)`
    : '';
  return `${r.audioSeconds.toFixed(1)} s: hears ${tones}${level}; ${r.parts} parts, ${r.stalls} stalls${delay}`;
}

export function jsonLine(r: ListenReport): string {
  return JSON.stringify({
    frequencies: r.frequencies,
    stalls: r.stalls,
    delayMs: r.delayMs ?? { p50: null, p99: null },
    parts: r.parts,
    levelDbfs: r.levelDbfs,
    pulses: r.pulses,
    delayReference: r.delayReference,
    ended: r.ended,
  });
}

export async function listen(argv: string[]): Promise<number> {
  let url: string;
  let seconds: number;
  let json: boolean;
  let reference: PulseReference | undefined;
  try {
    const args = parseArgs(argv, {
      values: ['seconds', 'pulse-every-ms'],
      booleans: ['json', 'help'],
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
    const every = numberFlag(args, 'pulse-every-ms', 0, 0, 60_000);
    if (every > 0) reference = { kind: 'wallclock', everyMs: every };
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    console.error(`rostra listen: ${err.message}\n\n${LISTEN_USAGE}`);
    return 2;
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
      ...(json ? {} : { onProgress: (r: ListenReport) => console.log(summary(r)) }),
    });
    const report = await listener.run();
    if (json) console.log(jsonLine(report));
    else console.log(`Done. ${summary(report)}${report.ended ? ' (the stream ended)' : ''}`);
    if (report.parts === 0) {
      console.error('rostra listen: no audio arrived.');
      return 1;
    }
    return 0;
  } catch (err) {
    if (err instanceof ListenError) {
      console.error(`rostra listen: ${err.message}`);
      return 1;
    }
    throw err;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
