/** The embedded default: PGlite (PostgreSQL compiled to WASM) in a data directory, or in memory. */
import { mkdirSync } from 'node:fs';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import type { Queryable, SqlClient } from './SqlClient.js';

export class PgliteClient implements SqlClient {
  readonly kind = 'pglite' as const;
  readonly #db: PGlite;
  #tail: Promise<unknown> = Promise.resolve();
  #closing: Promise<void> | undefined;

  private constructor(db: PGlite) {
    this.#db = db;
  }

  /** `dataDir` undefined = in memory (tests): ~2 s to start, against ~0.3 s to reopen a directory. */
  static async open(dataDir: string | undefined): Promise<PgliteClient> {
    if (dataDir !== undefined) mkdirSync(dataDir, { recursive: true });
    const db = dataDir !== undefined ? await PGlite.create(dataDir) : await PGlite.create();
    return new PgliteClient(db);
  }

  async query<T>(sql: string, params: readonly unknown[] = []): Promise<T[]> {
    return (await this.#db.query<T>(sql, [...params])).rows;
  }

  async exec(sql: string): Promise<void> {
    await this.#db.exec(sql);
  }

  /**
   * PGlite is one connection. It already queues plain queries behind an open transaction; our own
   * mutex (a promise chain) makes the one-transaction-at-a-time rule explicit and independent of that.
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    const run = this.#tail.then(() => this.#db.transaction((tx) => fn(wrap(tx))));
    this.#tail = run.catch(() => undefined); // the next transaction runs whether this one failed or not
    return run;
  }

  close(): Promise<void> {
    this.#closing ??= this.#tail.then(() => this.#db.close());
    return this.#closing;
  }
}

function wrap(tx: Transaction): Queryable {
  return {
    query: async <R>(sql: string, params: readonly unknown[] = []) =>
      (await tx.query<R>(sql, [...params])).rows,
    exec: async (sql: string) => {
      await tx.exec(sql);
    },
  };
}
