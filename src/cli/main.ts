/** The `rostra` command line: one verb per job. */
import { serve } from './serve.js';

const USAGE = `Usage: rostra <command> [options]

Commands:
  serve [--port N] [--data DIR] [--database-url URL] [--redis-url URL] [--public-url URL]
        [--host ADDR] [--log-level LEVEL] [--announced-ip IP[,IP]]
        [--max-listeners-per-space N] [--max-listeners-per-node N]
        Run a Rostra node (defaults: port 8080, data in ./data, embedded database, in-memory bus).
        Every flag also has an environment variable: PORT, ROSTRA_DATA, DATABASE_URL, REDIS_URL,
        ROSTRA_PUBLIC_URL, HOST, ROSTRA_LOG_LEVEL, ROSTRA_ANNOUNCED_IP, ROSTRA_SECRET, ...
  help  Show this text.
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve':
      return serve(rest);
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
