/**
 * The Store suite on the machine's PostgreSQL (TEST_DATABASE_URL overrides). Every store lives in a schema
 * of its own (`rostra_test_<random>`), dropped at close, so test files can run in parallel on one database.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, test } from 'node:test';
import pg from 'pg';
import { newId } from '../util/ids.js';
import { MIGRATIONS } from './migrations.js';
import { openStore } from './openStore.js';
import { runStoreSuite } from './Store.case.js';
import type { Store } from './Store.js';

const url = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const schemaName = () => `rostra_test_${randomBytes(5).toString('hex')}`;

runStoreSuite('PostgreSQL', () =>
  openStore({ databaseUrl: url, schema: schemaName(), dropSchemaOnClose: true }),
);

describe('Store: PostgreSQL, several processes on one schema', () => {
  const schema = schemaName();
  const admin = new pg.Client({ connectionString: url });
  const stores: Store[] = [];
  after(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  });

  test('nodes starting at once on an empty schema migrate it exactly once', async () => {
    await admin.connect();
    // Separate pools stand for separate processes: they share nothing but the database.
    stores.push(
      ...(await Promise.all(
        Array.from({ length: 4 }, () => openStore({ databaseUrl: url, schema, maxConnections: 5 })),
      )),
    );
    const { rows } = await admin.query<{ version: number }>(
      `SELECT version FROM ${schema}.schema_migrations ORDER BY version`,
    );
    assert.deepEqual(
      rows.map((r) => r.version),
      MIGRATIONS.map((m) => m.version),
    );
  });

  test('stage limits hold when the racing puts come from different processes', async () => {
    const [a, b] = stores as [Store, Store];
    const host = await a.users.create({
      id: newId(),
      handle: `h${newId()}`,
      displayName: 'h',
      passwordHash: 'x',
    });
    assert.ok(host.ok);
    const now = new Date().toISOString();
    const space = await a.spaces.create({
      id: newId(),
      hostId: host.user.id,
      title: 't',
      topics: [],
      record: false,
      anonymousListening: true,
      state: 'live',
      scheduledFor: null,
      startedAt: now,
      endedAt: null,
      createdAt: now,
    });
    const users = await Promise.all(
      Array.from({ length: 24 }, async () => {
        const r = await b.users.create({
          id: newId(),
          handle: `u${newId()}`,
          displayName: 'u',
          passwordHash: 'x',
        });
        assert.ok(r.ok);
        return r.user;
      }),
    );
    const limits = { maxCohosts: 2, maxSpeakers: 10 };
    const results = await Promise.all(
      users.map((u, i) => (i % 2 === 0 ? a : b).stage.put(space.id, u.id, 'speaker', limits)),
    );
    assert.equal(results.filter((r) => r.ok).length, 10);
    assert.equal((await b.stage.members(space.id)).length, 11);
  });

  test('a handle taken on one process is taken on the other, whatever its case', async () => {
    const [a, b] = stores as [Store, Store];
    const handle = `Race${newId().slice(0, 8)}`;
    const results = await Promise.all([
      a.users.create({ id: newId(), handle, displayName: 'a', passwordHash: 'x' }),
      b.users.create({ id: newId(), handle: handle.toLowerCase(), displayName: 'b', passwordHash: 'x' }),
    ]);
    assert.equal(results.filter((r) => r.ok).length, 1);
  });
});

test('openStore refuses options that do not fit the engine', async () => {
  await assert.rejects(openStore({ schema: 'x' }), TypeError);
  await assert.rejects(openStore({ databaseUrl: url, schema: 'Bad-Name' }), TypeError);
  await assert.rejects(openStore({ databaseUrl: url, dropSchemaOnClose: true }), TypeError);
});
