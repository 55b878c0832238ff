/** The `rostra` command line: one verb per job. */
import { ApiError } from './ApiClient.js';
import { UsageError } from './args.js';
import { botCommand } from './botSpeak.js';
import { demo } from './demo.js';
import { listen, LISTEN_USAGE } from './listen.js';
import { loadtest } from './loadtest.js';
import { serve } from './serve.js';

const USAGE = `Usage: rostra <command> [options]

Commands:
  serve [--port N] [--data DIR] [--database-url URL] [--redis-url URL] [--public-url URL]
        [--host ADDR] [--log-level LEVEL] [--announced-ip IP[,IP]]
        [--max-listeners-per-space N] [--max-listeners-per-node N]
        Run a Rostra node (defaults: port 8080, data in ./data, embedded database, in-memory bus).
        Every flag also has an environment variable: PORT, ROSTRA_DATA, DATABASE_URL, REDIS_URL,
        ROSTRA_PUBLIC_URL, HOST, ROSTRA_LOG_LEVEL, ROSTRA_ANNOUNCED_IP, ROSTRA_SECRET, ...
  demo  Open a live space with bot speakers on a running server (see rostra demo --help).
  bot speak  Put one bot speaker on a space's stage (see rostra bot speak --help).
  loadtest <page or playlist URL> [--listeners N] [--ramp S] [--duration S] [--json]
        Simulated LL-HLS listeners against a node or edge (see rostra loadtest --help).
  help  Show this text.

${LISTEN_USAGE}
`;

export async function main(argv: string[]): Promise<number> {
  try {
    return await run(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      console.error(`rostra: ${err.message}`);
      return 2;
    }
    if (err instanceof ApiError) {
      console.error(
        `rostra: ${err.message} (${err.code}${err.retryAfter !== undefined ? `, retry after ${err.retryAfter} s` : ''})`,
      );
      return 1;
    }
    throw err;
  }
}

async function run(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return serve(rest);
    case 'demo':
      return demo(rest);
    case 'bot':
      return botCommand(rest);
    case 'listen':
      return listen(rest);
    case 'loadtest':
      return loadtest(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      console.log(USAGE);
      return 0;
    default:
      console.error(`rostra: unknown command "${command}"\n\n${USAGE}`);
      return 2;
  }
}
