/** The `rostra` command line: one verb per job. */
import { ApiError } from '../client/index.js';
import { UsageError } from './args.js';
import { botCommand } from './botSpeak.js';
import { demo } from './demo.js';
import { listen } from './listen.js';
import { loadtest } from './loadtest.js';
import { serve, serveUsage } from './serve.js';

/** Every command, with where its own help is; serve's options follow. */
export function usage(): string {
  return `Usage: rostra <command> [options]

Commands:
  serve [options]   Run a Rostra node; its options are below (rostra serve --help).
  demo              Open a live space with bot speakers on a running server (rostra demo --help).
  bot speak         Put one bot speaker on a space's stage (rostra bot speak --help).
  listen <URL>      A headless LL-HLS player: what it hears, stalls and delay (rostra listen --help).
  loadtest <URL>    Simulated LL-HLS listeners against a node or edge (rostra loadtest --help).
  help              Show this text.

${serveUsage()}
`;
}

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
      console.log(usage());
      return 0;
    default:
      console.error(`rostra: unknown command "${command}" (rostra --help lists them)`);
      return 2;
  }
}
