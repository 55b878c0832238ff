/**
 * Rostra's configuration: read from flags and environment variables, validated and defaulted here once.
 * A wrong value stops the start with a message naming the flag or variable.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { processEnv, type Env } from './env.js';

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().min(1);
const nonNegativeInt = z.coerce.number().int().min(0);

const ConfigSchema = z
  .object({
    /** HTTP port. 0 picks a free one (tests). */
    port: port.default(8080),
    /** Interface to bind. */
    host: z.string().min(1).default('0.0.0.0'),
    /**
     * Behind a load balancer: the proxies (addresses or CIDR ranges) whose X-Forwarded-For is believed for
     * the client address (per-IP limits). Empty = the socket's address. A list, not a hop count, so a
     * client talking directly cannot spoof its address.
     */
    trustedProxies: z
      .array(z.string().regex(/^[0-9a-fA-F.:]+(\/\d{1,3})?$/, 'an IP address or CIDR range'))
      .default([]),
    /** How clients reach this node, for links in answers. Defaults to http://localhost:<port>. */
    publicUrl: z.url({ protocol: /^https?$/ }).optional(),
    /** Where the embedded database, the secret and recordings live. Empty = in memory (tests only). */
    dataDir: z.string().default('./data'),
    /** PostgreSQL instead of the embedded PGlite. */
    databaseUrl: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
    /** Redis instead of the in-memory bus (needed for more than one node). */
    redisUrl: z.url({ protocol: /^rediss?$/ }).optional(),
    /** Key for session tokens and listener tickets; every node of a cluster needs the same. At least 32 chars. */
    secret: z.string().min(32).optional(),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** Addresses put in ICE candidates for speakers' WebRTC (like mediasoup's announcedIp). */
    announcedIps: z.array(z.ipv4().or(z.ipv6())).min(1).default(['127.0.0.1']),
    limits: z
      .object({
        maxCohosts: nonNegativeInt.default(2),
        maxSpeakers: nonNegativeInt.default(10),
        maxTopics: nonNegativeInt.default(3),
        scheduleHorizonDays: positiveInt.default(14),
        /** 0 = no cap. Beyond it, joins get 503 space_unavailable with Retry-After. */
        listenersPerSpace: nonNegativeInt.default(0),
        /** Live listeners admitted through this node, over all spaces. 0 = no cap. */
        listenersPerNode: nonNegativeInt.default(200_000),
        /** Pending requests to speak kept per space; more are refused (a flood must not grow the table). */
        pendingRequestsPerSpace: positiveInt.default(500),
        /** Reactions one user may send per 10 s. */
        reactionsPer10s: positiveInt.default(20),
        /** HTTP body size limit in bytes. */
        bodyBytes: positiveInt.default(64 * 1024),
      })
      .prefault({}),
    media: z
      .object({
        /** LL-HLS part length in ms: 200..1000, a multiple of the 20 ms Opus frame. */
        partTargetMs: z.coerce.number().int().min(200).max(1000).multipleOf(20).default(500),
        /** LL-HLS segment length in seconds (a whole number of parts). */
        segmentTargetS: z.coerce.number().min(1).max(10).default(4),
        /** The broadcast mix's Opus bitrate. */
        bitrate: z.coerce.number().int().min(6000).max(256_000).default(32_000),
        /** Days a recording is kept after its space ends. */
        retentionDays: positiveInt.default(30),
      })
      .prefault({}),
    timing: z
      .object({
        /** Listener ticket lifetime; heartbeats renew it. */
        ticketTtlSeconds: positiveInt.default(120),
        /** How often clients send presence heartbeats. */
        heartbeatSeconds: positiveInt.default(15),
        /** How often the live listener count is pushed to clients. */
        countPushMs: positiveInt.default(2000),
        sessionTtlDays: positiveInt.default(30),
        /** Seconds to wait before a refused join retries. */
        retryAfterSeconds: positiveInt.default(15),
      })
      .prefault({}),
  })
  .strict()
  .refine((c) => c.timing.ticketTtlSeconds >= 2 * c.timing.heartbeatSeconds, {
    message: 'ticketTtlSeconds must be at least twice heartbeatSeconds, or listeners drop between heartbeats',
    path: ['timing', 'ticketTtlSeconds'],
  });

export type ConfigInput = z.input<typeof ConfigSchema>;
type Parsed = z.output<typeof ConfigSchema>;

/** The validated configuration; `secret` and `publicUrl` are always resolved. */
export interface Config extends Omit<Parsed, 'secret' | 'publicUrl'> {
  readonly secret: string;
  readonly publicUrl: string;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Flag name → config path. Flags win over environment variables. */
const FLAGS: Record<string, string> = {
  port: 'port',
  host: 'host',
  'public-url': 'publicUrl',
  data: 'dataDir',
  'database-url': 'databaseUrl',
  'redis-url': 'redisUrl',
  'log-level': 'logLevel',
  'trusted-proxies': 'trustedProxies',
  'announced-ip': 'announcedIps',
  'max-listeners-per-space': 'limits.listenersPerSpace',
  'max-listeners-per-node': 'limits.listenersPerNode',
  'max-cohosts': 'limits.maxCohosts',
  'max-speakers': 'limits.maxSpeakers',
  'part-ms': 'media.partTargetMs',
  'segment-seconds': 'media.segmentTargetS',
  bitrate: 'media.bitrate',
  'retention-days': 'media.retentionDays',
};

/** Environment variable → config path. */
const ENV: Record<string, string> = {
  PORT: 'port',
  HOST: 'host',
  ROSTRA_PUBLIC_URL: 'publicUrl',
  ROSTRA_DATA: 'dataDir',
  DATABASE_URL: 'databaseUrl',
  REDIS_URL: 'redisUrl',
  ROSTRA_SECRET: 'secret',
  ROSTRA_LOG_LEVEL: 'logLevel',
  ROSTRA_TRUSTED_PROXIES: 'trustedProxies',
  ROSTRA_ANNOUNCED_IP: 'announcedIps',
  ROSTRA_MAX_LISTENERS_PER_SPACE: 'limits.listenersPerSpace',
  ROSTRA_MAX_LISTENERS_PER_NODE: 'limits.listenersPerNode',
  ROSTRA_MAX_COHOSTS: 'limits.maxCohosts',
  ROSTRA_MAX_SPEAKERS: 'limits.maxSpeakers',
  ROSTRA_PART_MS: 'media.partTargetMs',
  ROSTRA_SEGMENT_SECONDS: 'media.segmentTargetS',
  ROSTRA_BITRATE: 'media.bitrate',
  ROSTRA_RETENTION_DAYS: 'media.retentionDays',
};

const LIST_PATHS = new Set(['announcedIps', 'trustedProxies']);

function setPath(target: Record<string, unknown>, path: string, value: string): void {
  const keys = path.split('.');
  let node = target;
  for (const key of keys.slice(0, -1)) {
    const next = (node[key] ??= {}) as Record<string, unknown>;
    node = next;
  }
  const last = keys[keys.length - 1] as string;
  node[last] = LIST_PATHS.has(path) ? value.split(',').map((s) => s.trim()) : value;
}

/** Parses `--name value` / `--name=value` flags; unknown flags are an error. */
export function parseFlags(
  argv: readonly string[],
  known: Record<string, string> = FLAGS,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--')) throw new ConfigError(`unexpected argument "${arg}"`);
    const eq = arg.indexOf('=');
    const name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
    if (!(name in known)) throw new ConfigError(`unknown flag --${name}`);
    let value: string | undefined;
    if (eq >= 0) value = arg.slice(eq + 1);
    else {
      value = argv[i + 1];
      i++;
    }
    if (value === undefined || value.startsWith('--')) throw new ConfigError(`--${name} needs a value`);
    out[name] = value;
  }
  return out;
}

/**
 * Builds the configuration from flags (argv after the command), the environment, and `overrides` (tests).
 * Precedence: overrides > flags > environment > defaults.
 */
export function loadConfig(
  argv: readonly string[] = [],
  env: Env = processEnv(),
  overrides: ConfigInput = {},
): Config {
  const raw: Record<string, unknown> = {};
  for (const [name, path] of Object.entries(ENV)) {
    const value = env[name];
    if (value !== undefined && value !== '') setPath(raw, path, value);
  }
  for (const [name, value] of Object.entries(parseFlags(argv))) setPath(raw, FLAGS[name] as string, value);
  const merged = deepMerge(raw, overrides as Record<string, unknown>);
  const result = ConfigSchema.safeParse(merged);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => {
      const path = issue.path.join('.');
      return `  ${describe(path)}: ${issue.message}`;
    });
    throw new ConfigError(`invalid configuration:\n${lines.join('\n')}`);
  }
  const parsed = result.data;
  const dataDir = parsed.dataDir === '' ? '' : resolve(parsed.dataDir);
  return {
    ...parsed,
    dataDir,
    publicUrl: (parsed.publicUrl ?? `http://localhost:${parsed.port}`).replace(/\/+$/, ''),
    secret: parsed.secret ?? loadOrCreateSecret(dataDir),
  };
}

/** Names the flag and variable for a config path, so the message says what to fix. */
function describe(path: string): string {
  const top = path.split('.').slice(0, 2).join('.');
  const flag = Object.entries(FLAGS).find(([, p]) => p === top || p === path)?.[0];
  const env = Object.entries(ENV).find(([, p]) => p === top || p === path)?.[0];
  return [flag ? `--${flag}` : undefined, env, !flag && !env ? path : undefined].filter(Boolean).join(' / ');
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [key, value] of Object.entries(b)) {
    const prev = out[key];
    out[key] =
      isPlainObject(prev) && isPlainObject(value)
        ? deepMerge(prev, value)
        : value === undefined
          ? prev
          : value;
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A single node needs no setup: the first start writes a random secret into the data directory, so tokens
 * and tickets survive restarts. A cluster sets ROSTRA_SECRET on every node instead.
 */
function loadOrCreateSecret(dataDir: string): string {
  if (dataDir === '') return randomBytes(32).toString('base64url');
  const file = join(dataDir, 'secret.key');
  try {
    const existing = readFileSync(file, 'utf8').trim();
    if (existing.length >= 32) return existing;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  writeFileSync(file, secret + '\n', { mode: 0o600 });
  return secret;
}
