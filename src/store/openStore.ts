/** Opens the configured Store and brings its schema up to date. */
import { PgliteClient } from './PgliteClient.js';
import { PostgresClient } from './PostgresClient.js';
import { SqlStore } from './SqlStore.js';
import type { Store } from './Store.js';

export interface OpenStoreOptions {
  /** PostgreSQL; when absent, embedded PGlite. */
  databaseUrl?: string;
  /** PGlite's directory; when absent (and no databaseUrl), PGlite in memory. */
  dataDir?: string;
  /** PostgreSQL only: use (and create) this schema; `dropSchemaOnClose` removes it again (tests). */
  schema?: string;
  dropSchemaOnClose?: boolean;
}

export async function openStore(opts: OpenStoreOptions = {}): Promise<Store> {
  let store: SqlStore;
  if (opts.databaseUrl !== undefined) {
    const pg = await PostgresClient.open(opts.databaseUrl, opts.schema);
    const schema = opts.schema;
    store = new SqlStore(
      pg,
      schema !== undefined && opts.dropSchemaOnClose === true ? () => pg.dropSchema(schema) : undefined,
    );
  } else {
    store = new SqlStore(await PgliteClient.open(opts.dataDir));
  }
  try {
    await store.migrate();
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}
