/** `rostra bot speak`: one speaker bot on a space's stage, as a given user, reporting what it hears. */
import { readWavFile, type BotAudio } from '../bot/index.js';
import { RostraClient } from '../client/index.js';
import { numberFlag, parseArgs, UsageError } from './args.js';
import { reportLines, runFor, startBot } from './BotRunner.js';

export const BOT_USAGE = `Usage: rostra bot speak --space ID (--token T | --handle H --password P) [--server URL]
         [--tone HZ] [--level DBFS] [--pulse-ms MS] [--wav FILE] [--listen 440,660] [--seconds S] [--json]
  Joins the space's stage through WHIP as that user (who must be its host, a co-host or a speaker),
  unmutes, sends a tone (default 440 Hz at -18 dBFS, optional pulses) or a WAV file, and prints what it
  hears from the other speakers once a second.`;

export async function botCommand(argv: string[]): Promise<number> {
  const [verb, ...rest] = argv;
  if (verb !== 'speak') throw new UsageError(`rostra bot: unknown verb "${verb ?? ''}"\n${BOT_USAGE}`);
  const args = parseArgs(rest, {
    values: [
      'server',
      'space',
      'token',
      'handle',
      'password',
      'tone',
      'level',
      'pulse-ms',
      'wav',
      'listen',
      'seconds',
    ],
    booleans: ['json', 'help'],
  });
  if (args.booleans.has('help')) {
    console.log(BOT_USAGE);
    return 0;
  }
  const spaceId = args.values.get('space');
  if (spaceId === undefined) throw new UsageError('--space is required');
  const api = RostraClient.over(
    args.values.get('server') ?? 'http://localhost:8080',
    args.values.get('token'),
  );
  const handle = args.values.get('handle');
  const me =
    handle !== undefined
      ? (await api.signIn(handle, args.values.get('password') ?? '')).user
      : api.token !== undefined
        ? await api.me()
        : undefined;
  if (!me) throw new UsageError('give --token, or --handle and --password');
  const wav = args.values.get('wav');
  const pulseMs = numberFlag(args, 'pulse-ms', 0, 0, 60_000);
  const audio: BotAudio =
    wav !== undefined
      ? { kind: 'wav', wav: await readWavFile(wav) }
      : {
          kind: 'tone',
          frequencyHz: numberFlag(args, 'tone', 440, 50, 8000),
          levelDbfs: numberFlag(args, 'level', -18, -90, 0),
          ...(pulseMs > 0 ? { pulse: { everyMs: pulseMs } } : {}),
        };
  const listenHz = (args.values.get('listen') ?? '330,440,550,660,770,880,990').split(',').map(Number);
  const runner = startBot(
    handle ?? me.id,
    `${api.origin}/api/v1/spaces/${spaceId}/whip`,
    api.token as string,
    audio,
    listenHz,
  );
  const connectMs = await runner.bot.start();
  await api.moderate(spaceId, me.id, 'unmute');
  if (!args.booleans.has('json')) console.log(`On stage in ${Math.round(connectMs)} ms.`);
  let since = performance.now();
  try {
    await runFor(numberFlag(args, 'seconds', Infinity, 1, 86_400), () => {
      const [line] = reportLines([runner], since);
      since = performance.now();
      if (!line) return;
      if (args.booleans.has('json')) console.log(JSON.stringify(line));
      else console.log(`hears ${line.hears.join(', ') || 'nothing'} Hz`);
    });
  } finally {
    await runner.bot.stop();
  }
  return 0;
}
