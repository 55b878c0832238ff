/** PostgreSQL through a `pg` pool, used when DATABASE_URL is set. */
import pg from 'pg';
import { logger } from '../log/Logger.js';
import type { Queryable, SqlClient } from './SqlClient.js';

const log = logger('store.postgres');

/** Schema names we accept: plain lower-case identifiers, so they can be interpolated safely. */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export interface PostgresClientOptions {
  url: string;
  /** Use this schema (created if missing) instead of the URL's search_path: lets test runs share a database. */
  schema?: string;
  /** Drop the schema (CASCADE) on close: for tests. */
  dropSchemaOnClose?: boolean;
  /** Pool size (default 10). */
  maxConnections?: number;
}

export class PostgresClient implements SqlClient {
  readonly kind = 'postgres' as const;
  readonly #pool: pg.Pool;
  readonly #dropOnClose: string | undefined;
  #closing: Promise<void> | undefined;

  private constructor(pool: pg.Pool, dropOnClose: string | undefined) {
    this.#pool = pool;
    this.#dropOnClose = dropOnClose;
  }

  static async open(opts: PostgresClientOptions): Promise<PostgresClient> {
    const { schema } = opts;
    if (schema !== undefined && !SCHEMA_NAME.test(schema))
      throw new TypeError(`invalid schema name: ${schema}`);
    const pool = new pg.Pool({
      connectionString: opts.url,
      max: opts.maxConnections ?? 10,
      // Every pooled connection starts in the schema; nothing else in the Store names one.
      ...(schema !== undefined ? { options: `-c search_path=${schema}` } : {}),
    });
    // An idle client that loses its server emits here; without a listener that would crash the process.
    pool.on('error', (err) => log.error({ err }, 'idle PostgreSQL connection failed'));
    const client = new PostgresClient(pool, opts.dropSchemaOnClose === true ? schema : undefined);
    try {
      if (schema !== undefined) {
        // Concurrent CREATE SCHEMA IF NOT EXISTS can still collide in the catalog: serialise it.
        await client.transaction(async (tx) => {
          await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`rostra.schema.${schema}`]);
          await tx.exec(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
        });
      } else {
        await pool.query('SELECT 1');
      }
    } catch (err) {
      await client.close();
      throw err;
    }
    return client;
  }

  async query<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    return (await this.#pool.query(sql, [...params])).rows as T[];
  }

  async exec(sql: string): Promise<void> {
    await this.#pool.query(sql);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.#pool.connect();
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      const result = await fn({
        query: async <R>(sql: string, params: readonly unknown[] = []) =>
          (await client.query(sql, [...params])).rows as R[],
        exec: async (sql: string) => {
          await client.query(sql);
        },
      });
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch((rollbackErr: unknown) => {
        broken = rollbackErr instanceof Error ? rollbackErr : new Error(String(rollbackErr));
        log.warn({ err: rollbackErr }, 'rollback failed; dropping the connection');
      });
      throw err;
    } finally {
      // A connection whose rollback failed is in an unknown state: destroy it rather than reuse it.
      client.release(broken);
    }
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      try {
        if (this.#dropOnClose !== undefined)
          await this.#pool.query(`DROP SCHEMA IF EXISTS ${this.#dropOnClose} CASCADE`);
      } finally {
        await this.#pool.end();
      }
    })();
    return this.#closing;
  }
}
