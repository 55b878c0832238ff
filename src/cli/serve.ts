/** `rostra serve`: runs one node until SIGINT/SIGTERM, then closes it cleanly. */
import { CONFIG_OPTIONS, ConfigError, loadConfig, type Config } from '../config/Config.js';
import { optionsHelp } from '../config/options.js';
import { logger } from '../log/Logger.js';
import { RostraNode } from '../server/RostraNode.js';

const log = logger('cli.serve');

export function serveUsage(): string {
  return `Usage: rostra serve [options]
  Runs a Rostra node (defaults: port 8080, data in ./data, embedded database, in-memory bus).
  Every option is a flag (--name value or --name=value) and an environment variable; flags win.
${optionsHelp(CONFIG_OPTIONS)}`;
}

export async function serve(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(serveUsage());
    return 0;
  }
  let config: Config;
  try {
    config = loadConfig(argv);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`rostra serve: ${err.message}`);
      return 2;
    }
    throw err;
  }
  const node = await RostraNode.open({ config });
  try {
    await node.listen();
  } catch (err) {
    const refusal = bindRefusal(err, config);
    if (!refusal) throw err;
    await node.close();
    console.error(`rostra serve: ${refusal}`);
    return 1;
  }
  console.log(`Rostra is up: ${config.publicUrl}  (store: ${node.store.kind}, bus: ${node.bus.kind})`);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, 'shutting down');
      resolve();
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await node.close();
  return 0;
}

/** The one line to print when the port cannot be bound, or undefined for any other error. */
function bindRefusal(err: unknown, config: Config): string | undefined {
  const code = (err as NodeJS.ErrnoException).code;
  const where = `${config.host}:${config.port}`;
  if (code === 'EADDRINUSE')
    return `port ${config.port} is already in use on ${config.host} (another program is listening there); choose another with --port or PORT.`;
  if (code === 'EACCES')
    return `not allowed to listen on ${where} (ports below 1024 need privileges); choose another with --port or PORT.`;
  if (code === 'EADDRNOTAVAIL')
    return `${config.host} is not an address of this machine; choose another with --host or HOST.`;
  return undefined;
}
