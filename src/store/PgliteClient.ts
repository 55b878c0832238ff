/** The embedded default: PGlite (PostgreSQL compiled to WASM) in a data directory, or in memory. */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import type { Queryable, SqlClient } from './SqlClient.js';

/**
 * PGlite starts with a server's settings: 128 MB of shared buffers and slots for 100 connections, for
 * what is one connection in one process holding a few MB of rows. Those cost ~160 MB of RSS, idle
 * (bench/memory.bench.ts measures the node).
 */
const PGLITE_SETTINGS: readonly string[] = [
  '-c',
  'shared_buffers=16MB',
  '-c',
  'max_connections=4',
  '-c',
  'wal_buffers=512kB',
];

/**
 * Creates a new data directory (initdb) in a child process: in this process it would leave the
 * initdb instance's WebAssembly memory and code behind, ~110 MB of RSS for the node's whole life.
 */
async function initDataDir(dataDir: string): Promise<void> {
  const script = `const { PGlite } = await import(process.argv[1]); await (await PGlite.create(process.argv[2])).close();`;
  const pglite = import.meta.resolve('@electric-sql/pglite');
  await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script, pglite, dataDir], {
    timeout: 120_000,
  });
}

/**
 * Compiles PGlite's WebAssembly (9 MB) with V8's baseline compiler only. Its optimising tier leaves ~60 MB
 * of RSS behind for the node's whole life (the compiler's memory, kept by the allocator), a third of an
 * idle node, to speed up queries that are not where a node spends its time (listeners and the stage never
 * touch the store per request). The flag is process-wide, so it is set only around the compile: other
 * WebAssembly (the Opus codec) still gets the optimising tier.
 */
async function liftoffOnly<T>(compile: () => Promise<T>): Promise<T> {
  setFlagsFromString('--liftoff-only');
  try {
    return await compile();
  } finally {
    setFlagsFromString('--no-liftoff-only');
  }
}

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
    if (dataDir !== undefined) {
      mkdirSync(dataDir, { recursive: true });
      if (!existsSync(join(dataDir, 'PG_VERSION'))) await initDataDir(dataDir);
    }
    const startParams = [...PGlite.defaultStartParams, ...PGLITE_SETTINGS];
    const options = { ...(dataDir !== undefined ? { dataDir } : {}), startParams };
    return new PgliteClient(await liftoffOnly(() => PGlite.create(options)));
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
