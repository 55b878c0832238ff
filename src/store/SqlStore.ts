/** The Store over any SqlClient: one implementation for PGlite and PostgreSQL alike. */
import { SqlBlocks, SqlSessions, SqlUsers } from './SqlAccounts.js';
import type { SqlClient } from './SqlClient.js';
import { SqlSpaces } from './SqlSpaces.js';
import { SqlRemovals, SqlRequests, SqlStage } from './SqlStage.js';
import { migrate } from './migrations.js';
import type { Store } from './Store.js';

export class SqlStore implements Store {
  readonly kind: Store['kind'];
  readonly users: SqlUsers;
  readonly sessions: SqlSessions;
  readonly blocks: SqlBlocks;
  readonly spaces: SqlSpaces;
  readonly stage: SqlStage;
  readonly requests: SqlRequests;
  readonly removals: SqlRemovals;
  readonly #db: SqlClient;
  readonly #onClose: (() => Promise<void>) | undefined;
  #closing: Promise<void> | undefined;

  constructor(db: SqlClient, onClose?: () => Promise<void>) {
    this.#db = db;
    this.#onClose = onClose;
    this.kind = db.kind;
    this.users = new SqlUsers(db);
    this.sessions = new SqlSessions(db);
    this.blocks = new SqlBlocks(db);
    this.spaces = new SqlSpaces(db);
    this.stage = new SqlStage(db);
    this.requests = new SqlRequests(db);
    this.removals = new SqlRemovals(db);
  }

  async migrate(): Promise<void> {
    await migrate(this.#db);
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      await this.#onClose?.();
      await this.#db.close();
    })();
    return this.#closing;
  }
}
