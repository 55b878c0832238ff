/**
 * The little SQL surface the Store needs. PGlite and PostgreSQL both speak it, so one set of repositories
 * (`Sql*.ts`) serves both engines.
 */
export interface Queryable {
  /** One statement with `$1…` parameters; returns its rows. */
  query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** Several statements with no parameters (migrations). */
  exec(sql: string): Promise<void>;
}

export interface SqlClient extends Queryable {
  readonly kind: 'pglite' | 'postgres';
  /**
   * Runs `fn` in one transaction on one connection: committed if it resolves, rolled back if it throws.
   * Use only `tx` inside `fn`: on PGlite a query on the client itself would wait for the transaction.
   */
  transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Idempotent. */
  close(): Promise<void>;
}

/** The SQLSTATE of a unique violation, as both engines report it. */
export const UNIQUE_VIOLATION = '23505';

/** The SQLSTATE and constraint of a database error, if it is one. */
export function sqlError(err: unknown): { code?: string; constraint?: string } {
  return typeof err === 'object' && err !== null ? (err as { code?: string; constraint?: string }) : {};
}
