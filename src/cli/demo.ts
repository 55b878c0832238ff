/**
 * `rostra demo`: makes demo accounts and a live space on a running server, puts N bot speakers on its
 * stage, and prints where to listen. `--json` prints one line at start, then one line per bot per second.
 */
import { randomBytes } from 'node:crypto';
import { ApiError, RostraClient } from '../client/index.js';
import { numberFlag, parseArgs, UsageError } from './args.js';
import { reportLines, runFor, startBot, type RunningBot } from './BotRunner.js';

export const DEMO_USAGE = `Usage: rostra demo [--server URL] [--speakers N] [--tones 440,660] [--seconds S] [--title T] [--json]
  Opens a live space on the server (default http://localhost:8080) with N bot speakers (default 2), each
  playing one tone; the first also sends a short 1 kHz pulse every second so delays can be measured.
  Runs for S seconds (default: until Ctrl-C), then ends the space.`;

export async function demo(argv: string[]): Promise<number> {
  const args = parseArgs(argv, {
    values: ['server', 'speakers', 'tones', 'seconds', 'title'],
    booleans: ['json', 'help'],
  });
  if (args.booleans.has('help')) {
    console.log(DEMO_USAGE);
    return 0;
  }
  const json = args.booleans.has('json');
  const server = args.values.get('server') ?? 'http://localhost:8080';
  const count = numberFlag(args, 'speakers', 2, 1, 13);
  const seconds = numberFlag(args, 'seconds', Infinity, 1, 86_400);
  const tones = (args.values.get('tones') ?? '440,660,880,330,550,770,990,1320,1100,1210,1430,1540,1650')
    .split(',')
    .map((t) => Number(t.trim()));
  if (tones.some((t) => !Number.isFinite(t) || t < 50 || t > 8000))
    throw new UsageError('--tones must be frequencies from 50 to 8000 Hz');
  const log = (line: string) => {
    if (!json) console.log(line);
  };

  const suffix = randomBytes(3).toString('hex');
  const password = randomBytes(12).toString('base64url');
  const host = RostraClient.over(server);
  const hostHandle = `demo_h_${suffix}`;
  await host.signUp(hostHandle, password, 'Demo Host');
  const space = await host.createSpace({
    title: args.values.get('title') ?? 'Rostra demo',
    topics: ['demo'],
    record: true,
  });
  const users: { name: string; client: RostraClient; id: string }[] = [
    { name: 'host', client: host, id: '' },
  ];
  for (let i = 1; i < count; i++) {
    const client = RostraClient.over(server);
    const { user } = await client.signUp(`demo_s${i}_${suffix}`, password, `Demo Speaker ${i}`);
    await host.moderate(space.id, user.id, 'invite');
    await client.answerInvitation(space.id, true);
    await client.moderate(space.id, user.id, 'unmute');
    users.push({ name: `speaker${i}`, client, id: user.id });
  }
  const playlistUrl = `${host.origin}/live/${space.id}/index.m3u8`;
  // The host's login, so a newcomer can sign in as the host in the browser and take control of the space.
  const login = { handle: hostHandle, password };
  if (json)
    console.log(JSON.stringify({ spaceId: space.id, pageUrl: space.pageUrl, playlistUrl, host: login }));
  log(
    `Space "${space.id}" is live with ${count} bot speaker(s).\n  Open ${space.pageUrl}\n  or run: npx rostra listen ${space.pageUrl}\n  To host it in the browser, sign in at ${host.origin}/signin as "${login.handle}" with password "${login.password}".`,
  );

  const whipUrl = `${host.origin}/api/v1/spaces/${space.id}/whip`;
  const listenHz = tones.slice(0, count);
  const bots: RunningBot[] = users.map((u, i) =>
    startBot(
      u.name,
      whipUrl,
      u.client.token as string,
      {
        kind: 'tone',
        frequencyHz: tones[i % tones.length] as number,
        levelDbfs: -18,
        ...(i === 0 ? { pulse: { everyMs: 1000, durationMs: 10 } } : {}),
      },
      listenHz,
    ),
  );
  try {
    await Promise.all(bots.map((b) => b.bot.start()));
    let since = performance.now();
    await runFor(seconds, () => {
      const lines = reportLines(bots, since);
      since = performance.now();
      for (const line of lines) {
        if (json) console.log(JSON.stringify(line));
        else
          log(
            `  ${line.bot}: hears ${line.hears.join(', ') || 'nothing'} Hz${line.delayMs !== null ? `, delay ${line.delayMs} ms` : ''}`,
          );
      }
    });
  } finally {
    await Promise.all(bots.map((b) => b.bot.stop()));
    await host.endSpace(space.id).catch((err: unknown) => {
      if (!(err instanceof ApiError)) throw err;
    });
    log('The demo space has ended.');
  }
  return 0;
}
