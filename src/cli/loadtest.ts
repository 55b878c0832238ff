/** `rostra loadtest <page or playlist URL>`: simulated LL-HLS listeners against a running node or edge. */
import {
  SILENCE_LIMIT_S,
  MAX_DECODERS,
  MAX_DURATION_S,
  MAX_LISTENERS,
  runLoadTest,
  type LoadTestReport,
} from '../loadtest/index.js';
import { numberFlag, parseArgs, UsageError } from './args.js';

const HELP = `Usage: rostra loadtest <page or playlist URL> [--listeners N] [--ramp S] [--duration S]
                       [--decoders K] [--allow-silence] [--json]

  Simulated LL-HLS listeners (no decoding) over keep-alive HTTP: each asks to listen, then follows the
  live edge with blocking reloads, fetches every part and sends heartbeats. Stops by itself.
  --listeners N   how many (default 100, at most ${MAX_LISTENERS})
  --ramp S        seconds over which they join (default 0: all within 1 s)
  --duration S    seconds in all (default 20, at most ${MAX_DURATION_S})
  --decoders K    sample listeners that also decode the audio and report what they hear (default 2)
  --allow-silence the space may be silent: without it, a decoding listener that hears ${SILENCE_LIMIT_S} s or more
                  of digital silence (or no audio) fails the run
  --json          print the report as one JSON object on the last line
  A stall is playback standing still for longer than 1.5 part targets (by wall time, whatever the part
  numbers do), or the stream jumping. The exit status is 1 when anything failed; the report says what.
  Each simulated listener holds one keep-alive connection (undici), as a player does. 2,000 listeners at
  0.5 s parts take about half a generator core (bench/README.md); its CPU is in the report. For more,
  run several generators, on other machines.
`;

export async function loadtest(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(HELP);
    return 0;
  }
  const args = parseArgs(argv, {
    values: ['listeners', 'ramp', 'duration', 'decoders'],
    booleans: ['json', 'allow-silence'],
    positionals: 1,
  });
  const url = args.positionals[0];
  if (url === undefined) throw new UsageError('loadtest needs a page or playlist URL');
  const durationS = numberFlag(args, 'duration', 20, 1, MAX_DURATION_S);
  const json = args.booleans.has('json');
  const tty = process.stderr.isTTY && !json;
  let report: LoadTestReport;
  try {
    report = await runLoadTest({
      url,
      listeners: numberFlag(args, 'listeners', 100, 1, MAX_LISTENERS),
      rampS: numberFlag(args, 'ramp', 0, 0, durationS - 1),
      durationS,
      decoders: numberFlag(args, 'decoders', 2, 0, MAX_DECODERS),
      expectSound: !args.booleans.has('allow-silence'),
      onProgress: (p) => {
        if (tty)
          process.stderr.write(
            `\r${p.elapsedS}s  connected ${p.connected}  ${p.requestsPerSecond} req/s  errors ${p.errors}  stalls ${p.stalls}   `,
          );
      },
    });
  } catch (err) {
    if (err instanceof TypeError) throw new UsageError(err.message);
    throw err;
  }
  if (tty) process.stderr.write('\n');
  if (json) console.log(JSON.stringify(report));
  else console.log(formatReport(report));
  return report.failures.length === 0 ? 0 : 1;
}

export function formatReport(r: LoadTestReport): string {
  const d = r.partDelayMs;
  const kv = (o: Record<string, number>) =>
    Object.keys(o).length === 0
      ? 'none'
      : Object.entries(o)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ');
  return [
    `listeners connected   ${r.listenersConnected} of ${r.listenersTarget} (${r.joinsPerSecond} joins/s)`,
    `part delivery delay   p50 ${d.p50} ms  p95 ${d.p95} ms  p99 ${d.p99} ms  max ${d.max} ms (${d.count} parts)`,
    `stalls                ${r.stalls} (${(r.stallRate * 100).toFixed(3)} % of parts)`,
    `requests              ${r.requestsPerSecond}/s (${r.requests} in ${r.durationS} s)`,
    `bytes per listener    ${r.bytesPerSecondPerListener} B/s`,
    `refused               ${kv(r.refused)}`,
    `errors                ${kv(r.errors)}`,
    `generator CPU         ${r.generatorCpuCores} cores`,
    ...r.decoded.map(
      (d, i) =>
        `decoding listener ${i + 1}   ${
          d.error !== undefined
            ? `could not listen: ${d.error}`
            : `hears ${d.frequencies.length > 0 ? `${d.frequencies.join(', ')} Hz` : 'nothing'}${d.levelDbfs === null ? '' : ` at ${d.levelDbfs} dBFS`}, ${d.audioSeconds} s of audio (${d.silentSeconds} s digital silence), ${d.stalls} stalls`
        }`,
    ),
    r.failures.length === 0 ? 'verdict               clean' : `verdict               FAILED`,
    ...r.failures.map((f) => `  - ${f}`),
  ].join('\n');
}
