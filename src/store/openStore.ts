/** Opens the configured Store and brings its schema up to date before handing it out. */
import { PgliteClient } from './PgliteClient.js';
import { PostgresClient } from './PostgresClient.js';
import { SqlStore } from './SqlStore.js';
import type { Store } from './Store.js';

export interface OpenStoreOptions {
  /** PostgreSQL URL (`postgres://…`). When absent: embedded PGlite. */
  databaseUrl?: string;
  /**
   * PGlite only: its data directory (created if missing). When absent: PGlite in memory, gone at close.
   * Ignored when databaseUrl is given (a node keeps its data dir for recordings either way).
   */
  dataDir?: string;
  /**
   * PostgreSQL only: keep every table in this schema (created if missing; lower-case identifier) instead of
   * the connection's default search_path. Lets several test runs share one database; they drop it after.
   */
  schema?: string;
  /** PostgreSQL only: drop `schema` (CASCADE) when the store closes. For tests; default false. */
  dropSchemaOnClose?: boolean;
  /** PostgreSQL only: pool size (default 10). */
  maxConnections?: number;
}

export async function openStore(opts: OpenStoreOptions = {}): Promise<Store> {
  if (opts.databaseUrl === undefined && (opts.schema !== undefined || opts.maxConnections !== undefined)) {
    throw new TypeError('openStore: schema and maxConnections apply to PostgreSQL only');
  }
  if (opts.dropSchemaOnClose === true && opts.schema === undefined) {
    throw new TypeError('openStore: dropSchemaOnClose needs a schema');
  }
  const client =
    opts.databaseUrl !== undefined
      ? await PostgresClient.open({
          url: opts.databaseUrl,
          ...(opts.schema !== undefined ? { schema: opts.schema } : {}),
          ...(opts.dropSchemaOnClose === true ? { dropSchemaOnClose: true } : {}),
          ...(opts.maxConnections !== undefined ? { maxConnections: opts.maxConnections } : {}),
        })
      : await PgliteClient.open(opts.dataDir);
  const store = new SqlStore(client);
  try {
    await store.migrate();
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}
