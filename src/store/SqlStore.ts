/** The Store over any SqlClient: one implementation for PGlite and PostgreSQL alike. */
import { logger } from '../log/Logger.js';
import { SqlBlocks } from './SqlBlocks.js';
import type { SqlClient } from './SqlClient.js';
import { SqlRecordings } from './SqlRecordings.js';
import { SqlRemovals } from './SqlRemovals.js';
import { SqlPins } from './SqlPins.js';
import { SqlReplayList } from './SqlReplayList.js';
import { SqlAnalytics } from './SqlAnalytics.js';
import { SqlClips } from './SqlClips.js';
import { SqlAvatars } from './SqlAvatars.js';
import { SqlRequests } from './SqlRequests.js';
import { SqlSessions } from './SqlSessions.js';
import { SqlSpaces } from './SqlSpaces.js';
import { SqlStage } from './SqlStage.js';
import { SqlUsers } from './SqlUsers.js';
import { migrate } from './migrations.js';
import type { Store } from './Store.js';

const log = logger('store');

export class SqlStore implements Store {
  readonly kind: Store['kind'];
  readonly users: SqlUsers;
  readonly sessions: SqlSessions;
  readonly blocks: SqlBlocks;
  readonly spaces: SqlSpaces;
  readonly stage: SqlStage;
  readonly requests: SqlRequests;
  readonly removals: SqlRemovals;
  readonly recordings: SqlRecordings;
  readonly pins: SqlPins;
  readonly replays: SqlReplayList;
  readonly analytics: SqlAnalytics;
  readonly clips: SqlClips;
  readonly avatars: SqlAvatars;
  readonly #db: SqlClient;

  constructor(db: SqlClient) {
    this.#db = db;
    this.kind = db.kind;
    this.users = new SqlUsers(db);
    this.sessions = new SqlSessions(db);
    this.blocks = new SqlBlocks(db);
    this.spaces = new SqlSpaces(db);
    this.stage = new SqlStage(db);
    this.requests = new SqlRequests(db);
    this.removals = new SqlRemovals(db);
    this.recordings = new SqlRecordings(db);
    this.pins = new SqlPins(db);
    this.replays = new SqlReplayList(db);
    this.analytics = new SqlAnalytics(db);
    this.clips = new SqlClips(db);
    this.avatars = new SqlAvatars(db);
  }

  async migrate(): Promise<void> {
    const applied = await migrate(this.#db);
    if (applied.length > 0) log.info({ engine: this.kind, applied }, 'schema migrated');
  }

  close(): Promise<void> {
    return this.#db.close();
  }
}
