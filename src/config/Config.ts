/**
 * Rostra's configuration: read from flags and environment variables, validated and defaulted here once.
 * A wrong value stops the start with a message naming the flag or variable.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { processEnv, type Env } from './env.js';
import { listOptions, type ConfigOption, type OptionNames } from './options.js';

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().min(1);
const nonNegativeInt = z.coerce.number().int().min(0);
/** A switch given as a flag or variable value: on/off, true/false, yes/no or 1/0. */
const onOff = z
  .union([z.boolean(), z.enum(['on', 'off', 'true', 'false', 'yes', 'no', '1', '0'])])
  .transform((v) => v === true || v === 'on' || v === 'true' || v === 'yes' || v === '1');

const ConfigSchema = z
  .object({
    port: port.default(8080).describe('HTTP port. 0 picks a free one (tests).'),
    host: z.string().min(1).default('0.0.0.0').describe('Interface to bind.'),
    trustedProxies: z
      .array(z.string().regex(/^[0-9a-fA-F.:]+(\/\d{1,3})?$/, 'an IP address or CIDR range'))
      .default([])
      .describe(
        "Behind a load balancer: the proxies (addresses or CIDR ranges) whose X-Forwarded-For is believed for the client address (per-IP limits). Empty = the socket's address. A list, not a hop count, so a client talking directly cannot spoof its address.",
      ),
    publicUrl: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe('How clients reach this node, for links in answers. Defaults to http://localhost:<port>.'),
    internalUrl: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe(
        'How the other nodes of a cluster reach this one (media proxied to the owner of a space). Defaults to http://127.0.0.1:<port>, right for one node; set it to an address the others can reach.',
      ),
    dataDir: z
      .string()
      .default('./data')
      .describe(
        'Where the embedded database, the secret and recordings live. Empty = in memory (tests only).',
      ),
    databaseUrl: z
      .url({ protocol: /^postgres(ql)?$/ })
      .optional()
      .describe('PostgreSQL instead of the embedded PGlite.'),
    redisUrl: z
      .url({ protocol: /^rediss?$/ })
      .optional()
      .describe('Redis instead of the in-memory bus (needed for more than one node).'),
    secret: z
      .string()
      .min(32)
      .optional()
      .describe(
        'Key for session tokens and listener tickets; every node of a cluster needs the same. At least 32 chars.',
      ),
    logLevel: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info')
      .describe('How much the node logs: fatal, error, warn, info, debug, trace or silent.'),
    announcedIps: z
      .array(z.ipv4().or(z.ipv6()))
      .min(1)
      .default(['127.0.0.1'])
      .describe("Addresses put in ICE candidates for speakers' WebRTC (like mediasoup's announcedIp)."),
    limits: z
      .object({
        maxCohosts: nonNegativeInt.default(2).describe('Co-hosts a host may appoint.'),
        maxSpeakers: nonNegativeInt
          .default(10)
          .describe('Speakers on a stage besides the host and co-hosts.'),
        maxTopics: nonNegativeInt.default(3).describe('Topics a space may have.'),
        scheduleHorizonDays: positiveInt
          .default(14)
          .describe('How far ahead a space may be scheduled, days.'),
        listenersPerSpace: nonNegativeInt
          .default(0)
          .describe('0 = no cap. Beyond it, joins get 503 space_unavailable with Retry-After.'),
        listenersPerNode: nonNegativeInt
          .default(200_000)
          .describe('Live listeners admitted through this node, over all spaces. 0 = no cap.'),
        pendingRequestsPerSpace: positiveInt
          .default(500)
          .describe(
            'Pending requests to speak kept per space; more are refused (a flood must not grow the table).',
          ),
        reactionsPer10s: positiveInt.default(20).describe('Reactions one user may send per 10 s.'),
        bodyBytes: positiveInt.default(64 * 1024).describe('HTTP body size limit in bytes.'),
        avatarBytes: positiveInt
          .default(2 * 1024 * 1024)
          .describe('Largest profile photo upload in bytes (it is re-encoded to a 256 px WebP).'),
      })
      .prefault({})
      .describe('Limits on spaces, stages and requests.'),
    media: z
      .object({
        partTargetMs: z.coerce
          .number()
          .int()
          .min(200)
          .max(1000)
          .multipleOf(20)
          .default(500)
          .describe('LL-HLS part length in ms: 200..1000, a multiple of the 20 ms Opus frame.'),
        segmentTargetS: z.coerce
          .number()
          .min(1)
          .max(10)
          .default(4)
          .describe('LL-HLS segment length in seconds (a whole number of parts).'),
        bitrate: z.coerce
          .number()
          .int()
          .min(6000)
          .max(256_000)
          .default(32_000)
          .describe("The broadcast mix's Opus bitrate."),
        aac: onOff
          .default(true)
          .describe(
            "An AAC-LC rendition beside Opus, for iPhones' native HLS (docs/capacity.md has its cost).",
          ),
        aacBitrate: z.coerce
          .number()
          .int()
          .min(16_000)
          .max(256_000)
          .default(48_000)
          .describe("The AAC rendition's bitrate."),
        stageEngine: z
          .enum(['worker', 'inline'])
          .default('worker')
          .describe(
            "Where the speakers' WebRTC and the mixer run: inline in the node's event loop, or a worker process apart from listener traffic (docs/architecture.md).",
          ),
        retentionDays: positiveInt.default(30).describe('Days a recording is kept after its space ends.'),
        clipRetentionDays: positiveInt.default(30).describe('Days a clip is kept after it is made.'),
      })
      .prefault({})
      .describe('The broadcast: parts, segments, codecs and recordings.'),
    guard: z
      .object({
        joinsPerIp: positiveInt
          .default(600)
          .describe(
            'Joins (POST /listen) per client address per 10 s; 300 people behind one NAT join within 1 s.',
          ),
        joinsPerPrefix: positiveInt
          .default(3000)
          .describe(
            'Joins per /24 (IPv4) or /48 (IPv6) per 10 s: several NAT addresses of one carrier share it.',
          ),
        joinsPerAccount: positiveInt.default(30).describe('Joins per account per 10 s.'),
        signUpsPerIp: positiveInt.default(30).describe('Sign-ups per address per 10 minutes.'),
        signInFailuresPerClient: positiveInt
          .default(10)
          .describe(
            'Failed sign-ins per (handle, address) per 15 minutes; then that pair waits, nobody else does.',
          ),
        signInFailuresPerIp: positiveInt
          .default(50)
          .describe('Failed sign-ins per address per 15 minutes, over all handles.'),
        scryptConcurrency: positiveInt
          .default(3)
          .describe(
            'Password hashes (scrypt) computed at once; more wait in a short queue. All but a third are kept for known devices and clean addresses.',
          ),
        scryptQueue: nonNegativeInt
          .default(16)
          .describe('Password hashes waiting; beyond, 503 server_busy with Retry-After.'),
        whipPerAccount: positiveInt.default(30).describe('WHIP offers per account per minute.'),
        whipPerIp: positiveInt.default(120).describe('WHIP offers per address per minute.'),
        clipsPerIp: positiveInt
          .default(30)
          .describe('Clips made per address per 10 minutes (each one cuts and writes a file).'),
        clipsPerAccount: positiveInt.default(10).describe('Clips made per account per 10 minutes.'),
        reactionsPerIp: positiveInt
          .default(600)
          .describe('Reactions per address per 10 s (the per-user limit is limits.reactionsPer10s).'),
        wsConnectsPerIp: positiveInt.default(600).describe('WebSocket connects per address per minute.'),
        wsMessagesPerSecond: positiveInt
          .default(20)
          .describe('Messages one WebSocket may send per second (3x closes it).'),
        wsHelloSeconds: positiveInt
          .default(5)
          .describe(
            'A WebSocket that neither authenticates nor subscribes within this many seconds is closed.',
          ),
        junkPerIp: positiveInt
          .default(300)
          .describe(
            'Refused answers (4xx) per address per 10 s before every request from it is refused at the door.',
          ),
        junkLanePerSecond: positiveInt
          .default(500)
          .describe(
            'Connections let go a second from the junk lane: a connection refused twice in a row is not read until then.',
          ),
        newcomersWaiting: positiveInt
          .default(5000)
          .describe(
            'First requests and WebSocket upgrades of new connections waiting their turn behind the people already in (a few ms of them per event-loop turn); past it, 503.',
          ),
        connectionsPerIp: nonNegativeInt
          .default(2000)
          .describe('Open TCP connections per address (0 = no cap).'),
        connectionsPerNode: nonNegativeInt
          .default(60_000)
          .describe('Open TCP connections per node (0 = no cap).'),
        websocketsPerIp: positiveInt.default(1000).describe('Open WebSockets per address.'),
        websocketsPerNode: positiveInt.default(50_000).describe('Open WebSockets per node.'),
        heldReloadsPerNode: positiveInt
          .default(30_000)
          .describe('Held blocking playlist reloads per node; more are answered at once.'),
        heldReloadsPerIp: positiveInt.default(1500).describe('Held blocking reloads per address.'),
        headersTimeoutMs: positiveInt.default(10_000).describe('Time to send the request headers.'),
        requestTimeoutMs: positiveInt
          .default(30_000)
          .describe('Time to send the whole request (headers and body).'),
        keepAliveTimeoutMs: positiveInt
          .default(10_000)
          .describe('An idle keep-alive connection is closed after this.'),
        eventLoopDelayMs: positiveInt
          .default(200)
          .describe(
            'Event-loop delay (p99 over the last second) above which new anonymous joins wait in line.',
          ),
        heapFraction: z.coerce
          .number()
          .gt(0)
          .max(1)
          .default(0.85)
          .describe(
            'Heap in use, as a share of the heap limit, above which new anonymous joins wait in line.',
          ),
        heldRequests: positiveInt
          .default(20_000)
          .describe('Held requests above which new anonymous joins wait in line.'),
        shedding: onOff
          .default(true)
          .describe(
            'Shed new joins by measured pressure (the ladder); off keeps only the fixed limits and caps.',
          ),
        queueRatePerSecond: positiveInt
          .default(50)
          .describe('Anonymous joins let through the line per second per node while under pressure.'),
        firstTicketSeconds: positiveInt
          .default(45)
          .describe(
            "An anonymous listener's first ticket lives this long; the first heartbeat gives a full one.",
          ),
      })
      .prefault({})
      .describe(
        'The guard (docs/guard.md): rate limits, connection caps, deadlines and shedding, for a public server.',
      ),
    cluster: z
      .object({
        leaseMs: z.coerce
          .number()
          .int()
          .min(1000)
          .max(60_000)
          .default(5000)
          .describe(
            "Lease on a live space's media: another node takes the space over this long after its owner died.",
          ),
        ownerTimeoutMs: z.coerce
          .number()
          .int()
          .min(1000)
          .max(120_000)
          .default(10_000)
          .describe(
            'A request proxied to the owner fails with a coded error after this long (above any blocking reload).',
          ),
      })
      .prefault({})
      .describe(
        "Several nodes, one space (docs/edge.md): who owns a live space's media, and reaching the owner.",
      ),
    timing: z
      .object({
        ticketTtlSeconds: positiveInt.default(120).describe('Listener ticket lifetime; heartbeats renew it.'),
        heartbeatSeconds: positiveInt.default(15).describe('How often clients send presence heartbeats.'),
        countPushMs: positiveInt
          .default(2000)
          .describe('How often the live listener count is pushed to clients.'),
        sessionTtlDays: positiveInt.default(30).describe('A session token lives this many days.'),
        retryAfterSeconds: positiveInt.default(15).describe('Seconds to wait before a refused join retries.'),
      })
      .prefault({})
      .describe('Tickets, heartbeats, sessions and pushes.'),
    lifecycle: z
      .object({
        hostAbsentMinutes: positiveInt
          .default(5)
          .describe(
            'A live space whose host and co-hosts are all gone (no event socket, no WHIP peer) this long ends.',
          ),
        ghostSpeakerSeconds: positiveInt
          .default(120)
          .describe('A speaker whose WHIP peer is gone this long leaves the stage.'),
      })
      .prefault({})
      .describe('When live spaces and speakers end by themselves.'),
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

/**
 * Names kept from before flags and variables were derived from the schema (options.ts). A new option
 * needs no entry: give it a `.describe('…')` in the schema and it has a flag, a variable and a help line.
 */
const LEGACY_NAMES: Record<string, OptionNames> = {
  port: { env: 'PORT' },
  host: { env: 'HOST' },
  dataDir: { flag: 'data' },
  databaseUrl: { env: 'DATABASE_URL' },
  redisUrl: { env: 'REDIS_URL' },
  announcedIps: { flag: 'announced-ip' },
  'limits.listenersPerSpace': { flag: 'max-listeners-per-space' },
  'limits.listenersPerNode': { flag: 'max-listeners-per-node' },
  'media.partTargetMs': { flag: 'part-ms' },
  'media.segmentTargetS': { flag: 'segment-seconds' },
};

/** Every option with its flag, variable, default and help line. */
export const CONFIG_OPTIONS: readonly ConfigOption[] = listOptions(ConfigSchema, LEGACY_NAMES);

/** Flag name → config path. Flags win over environment variables. */
const FLAGS: Record<string, string> = Object.fromEntries(CONFIG_OPTIONS.map((o) => [o.flag, o.path]));
/** Environment variable → config path. */
const ENV: Record<string, string> = Object.fromEntries(CONFIG_OPTIONS.map((o) => [o.env, o.path]));
const LIST_PATHS = new Set(CONFIG_OPTIONS.filter((o) => o.list).map((o) => o.path));

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
