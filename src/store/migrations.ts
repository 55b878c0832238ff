/**
 * Versioned schema migrations, applied in order, each in its own transaction, recorded in
 * `schema_migrations`. An advisory lock lets several nodes start at once against one database.
 * Never edit a shipped migration: add the next one.
 */
import type { SqlClient } from './SqlClient.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'control plane',
    sql: `
      CREATE TABLE users (
        id text PRIMARY KEY,
        handle text NOT NULL,
        display_name text NOT NULL,
        password_hash text NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      );
      CREATE UNIQUE INDEX users_handle_lower ON users (lower(handle));

      CREATE TABLE sessions (
        id text PRIMARY KEY,
        user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        expires_at timestamptz NOT NULL,
        revoked_at timestamptz
      );
      CREATE INDEX sessions_expires_at ON sessions (expires_at);
      CREATE INDEX sessions_user ON sessions (user_id);

      CREATE TABLE blocks (
        blocker_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        blocked_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (blocker_id, blocked_id)
      );

      CREATE TABLE spaces (
        id text PRIMARY KEY,
        host_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        title text NOT NULL,
        topics text[] NOT NULL DEFAULT '{}',
        record boolean NOT NULL,
        anonymous_listening boolean NOT NULL,
        state text NOT NULL CHECK (state IN ('scheduled', 'live', 'ended', 'cancelled')),
        scheduled_for timestamptz,
        started_at timestamptz,
        ended_at timestamptz,
        created_at timestamptz NOT NULL
      );
      CREATE INDEX spaces_live ON spaces (started_at DESC, id DESC) WHERE state = 'live';
      CREATE INDEX spaces_scheduled ON spaces (scheduled_for, id) WHERE state = 'scheduled';
      CREATE INDEX spaces_finished ON spaces (ended_at DESC, id DESC) WHERE state IN ('ended', 'cancelled');
      CREATE INDEX spaces_host ON spaces (host_id);

      CREATE TABLE space_interest (
        space_id text NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
        user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (space_id, user_id)
      );

      CREATE TABLE stage_members (
        space_id text NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
        user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        role text NOT NULL CHECK (role IN ('host', 'cohost', 'speaker')),
        muted boolean NOT NULL,
        joined_at timestamptz NOT NULL,
        PRIMARY KEY (space_id, user_id)
      );

      CREATE TABLE speak_requests (
        space_id text NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
        user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL,
        PRIMARY KEY (space_id, user_id)
      );
      CREATE INDEX speak_requests_order ON speak_requests (space_id, created_at);

      CREATE TABLE invitations (
        space_id text NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
        user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        invited_by text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL,
        PRIMARY KEY (space_id, user_id)
      );

      CREATE TABLE removals (
        space_id text NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
        user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        removed_by text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL,
        PRIMARY KEY (space_id, user_id)
      );
    `,
  },
  {
    version: 2,
    name: 'recordings',
    // One row per recorded space. The audio lives on the origin node's disk (data/recordings/<space>/);
    // this row is what the API answers from, and what retention sweeps. deleted_at keeps the row (plays and
    // duration stay countable) while the files are gone.
    sql: `
      CREATE TABLE recordings (
        space_id text PRIMARY KEY REFERENCES spaces(id) ON DELETE CASCADE,
        duration_s double precision NOT NULL DEFAULT 0,
        plays bigint NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL,
        finished_at timestamptz,
        deleted_at timestamptz
      );
      CREATE INDEX recordings_finished ON recordings (finished_at) WHERE deleted_at IS NULL;
    `,
  },
  {
    version: 20,
    name: 'media sessions',
    // How many times a live space's media was started (by any node): the first starts the media sequence
    // at 0; a restart or takeover continues the space's timeline instead (PartPackager timelineStart).
    sql: `ALTER TABLE spaces ADD COLUMN media_sessions integer NOT NULL DEFAULT 0;`,
  },
  {
    version: 30,
    name: 'pinned posts',
    // Up to a few links per space (the limit is the service's, kept atomic by locking the space row).
    sql: `
      CREATE TABLE pins (
        id text PRIMARY KEY,
        space_id text NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
        title text NOT NULL,
        url text NOT NULL,
        pinned_by text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL
      );
      CREATE INDEX pins_space ON pins (space_id, created_at, id);
    `,
  },
  {
    version: 31,
    name: 'space analytics',
    // Written per space per sampling interval by each node (never per listener). Samples share time
    // buckets across nodes, so several nodes writing one bucket merge with GREATEST.
    sql: `
      CREATE TABLE space_samples (
        space_id text NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
        at timestamptz NOT NULL,
        listeners integer NOT NULL,
        PRIMARY KEY (space_id, at)
      );
      CREATE TABLE space_stats (
        space_id text PRIMARY KEY REFERENCES spaces(id) ON DELETE CASCADE,
        peak_listeners integer NOT NULL DEFAULT 0,
        unique_listeners integer NOT NULL DEFAULT 0
      );
      CREATE TABLE space_speakers (
        space_id text NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
        user_id text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        PRIMARY KEY (space_id, user_id)
      );
    `,
  },
  {
    version: 40,
    name: 'clips',
    // A clip is a standalone file cut from a recording (recording/Clips.ts). Rows are kept after deletion
    // (deleted_at) so a shared link answers 410 rather than 404; the file itself is removed.
    sql: `
      CREATE TABLE clips (
        id text PRIMARY KEY,
        space_id text NOT NULL REFERENCES spaces(id) ON DELETE CASCADE,
        recording_id text NOT NULL REFERENCES recordings(space_id) ON DELETE CASCADE,
        start_s double precision NOT NULL,
        end_s double precision NOT NULL,
        codec text NOT NULL CHECK (codec IN ('aac', 'opus')),
        creator_id text REFERENCES users(id) ON DELETE SET NULL,
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        deleted_at timestamptz
      );
      CREATE INDEX clips_space ON clips (space_id, created_at DESC, id);
      CREATE INDEX clips_expiry ON clips (expires_at, id) WHERE deleted_at IS NULL;
    `,
  },
  {
    version: 50,
    name: 'backstage',
    // A scheduled space's hosts can meet on stage before it goes live (scheduled → backstage → live).
    // The state check is the one version 1 declared inline (Postgres names it spaces_state_check).
    sql: `
      ALTER TABLE spaces DROP CONSTRAINT spaces_state_check;
      ALTER TABLE spaces ADD CONSTRAINT spaces_state_check
        CHECK (state IN ('scheduled', 'live', 'ended', 'cancelled', 'backstage'));
      CREATE INDEX spaces_backstage ON spaces (scheduled_for, id) WHERE state = 'backstage';
    `,
  },
  {
    version: 60,
    name: 'avatars and recording trim',
    // An avatar is a small re-encoded image (tens of KB), kept in the Store so that any node serves it;
    // users.avatar_version (its ETag) rides along every user read, so views link it without a second query.
    // A recording's trim is an offset into its files (which are never rewritten).
    sql: `
      CREATE TABLE avatars (
        user_id text PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
        image bytea NOT NULL,
        content_type text NOT NULL,
        version text NOT NULL,
        updated_at timestamptz NOT NULL
      );
      ALTER TABLE users ADD COLUMN avatar_version text;
      ALTER TABLE recordings ADD COLUMN trim_start_s double precision NOT NULL DEFAULT 0;
    `,
  },
];

/** Serialises migrating nodes (released at commit); one key per schema, so test schemas do not wait on each other. */
const LOCK = `SELECT pg_advisory_xact_lock(hashtext('rostra.migrations.' || coalesce(current_schema(), '')))`;

/**
 * Applies the migrations not yet recorded, in order, each in its own transaction under the advisory lock:
 * a node that waited for the lock sees what the first one applied and skips it. Returns the versions it
 * applied (empty when the schema was up to date).
 */
export async function migrate(
  db: SqlClient,
  migrations: readonly Migration[] = MIGRATIONS,
): Promise<number[]> {
  migrations.forEach((m, i) => {
    const prev = migrations[i - 1];
    if (prev && m.version <= prev.version) throw new TypeError(`migration ${m.version} is out of order`);
  });
  // Even CREATE TABLE IF NOT EXISTS races in the catalog when two nodes start at once: lock first.
  await db.transaction(async (tx) => {
    await tx.query(LOCK);
    await tx.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
  });
  const applied: number[] = [];
  for (const m of migrations) {
    const done = await db.transaction(async (tx) => {
      await tx.query(LOCK);
      const rows = await tx.query('SELECT 1 FROM schema_migrations WHERE version = $1', [m.version]);
      if (rows.length > 0) return false;
      await tx.exec(m.sql);
      await tx.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      return true;
    });
    if (done) applied.push(m.version);
  }
  return applied;
}
