import { randomBytes } from 'node:crypto';
import { openStore } from './openStore.js';
import { runStoreSuite } from './Store.case.js';

/** The machine's PostgreSQL (CI has it at 127.0.0.1:5432, database `test`); each run gets its own schema. */
const url = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

runStoreSuite('PostgreSQL', () =>
  openStore({
    databaseUrl: url,
    schema: `rostra_test_${randomBytes(5).toString('hex')}`,
    dropSchemaOnClose: true,
  }),
);
