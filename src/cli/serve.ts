/** `rostra serve`: runs one node until SIGINT/SIGTERM, then closes it cleanly. */
import { ConfigError, loadConfig } from '../config/Config.js';
import { logger } from '../log/Logger.js';
import { RostraNode } from '../server/RostraNode.js';

const log = logger('cli.serve');

export async function serve(argv: string[]): Promise<number> {
  let config;
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
  await node.listen();
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
