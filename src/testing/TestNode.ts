/**
 * Test helpers: a node on an in-memory store and bus (or the ones given), and a small typed client that
 * speaks to it in memory (fastify inject) or over real HTTP.
 */
import { loadConfig, type ConfigInput } from '../config/Config.js';
import { ManualClock } from '../control/Clock.js';
import { RostraNode, type RostraNodeOptions } from '../server/RostraNode.js';
import { RostraClient, type Headers, type Transport } from '../client/index.js';
import { freePort } from './ServeProcess.js';
import type { Store } from '../store/index.js';
import type { Bus } from '../bus/index.js';

/** scrypt at N=2^10: tests sign up hundreds of users; production keeps the default cost. */
export const TEST_PASSWORD_PARAMS = { N: 1024, r: 8, p: 1 };

export interface TestNodeOptions {
  config?: ConfigInput;
  store?: Store;
  bus?: Bus;
  clock?: ManualClock;
  webDist?: string | null;
}

export async function openTestNode(opts: TestNodeOptions = {}): Promise<RostraNode> {
  // A real port up front, so that links in answers (pageUrl, playlistUrl) point at this node.
  const port = await freePort();
  const config = loadConfig(
    [],
    {},
    {
      port,
      host: '127.0.0.1',
      dataDir: '',
      logLevel: 'silent',
      ...opts.config,
      // Measured pressure on a busy test machine would shed joins at random; guard tests drive it exactly.
      guard: { shedding: false, ...opts.config?.guard },
    },
  );
  // Every response a test sees is checked against its documented schema (ResponseCheck.ts).
  const nodeOpts: RostraNodeOptions = { config, passwordParams: TEST_PASSWORD_PARAMS, checkResponses: true };
  if (opts.store) nodeOpts.store = opts.store;
  if (opts.bus) nodeOpts.bus = opts.bus;
  if (opts.clock) nodeOpts.clock = opts.clock;
  if (opts.webDist !== undefined) nodeOpts.webDist = opts.webDist;
  return RostraNode.open(nodeOpts);
}

export type { ApiResponse } from '../client/index.js';
export type { ErrorBody } from '../contract/index.js';

/**
 * The one client (RostraClient), speaking to a node in memory through fastify's inject: no sockets, the
 * exact same handlers. `ip` is the client's address as the server sees it (per-IP limits).
 */
export class TestClient extends RostraClient {
  readonly #node: RostraNode;
  readonly ip: string;

  constructor(node: RostraNode, token?: string, ip = '127.0.0.1') {
    super(injectTransport(node, ip), { origin: node.config.publicUrl, token });
    this.#node = node;
    this.ip = ip;
  }

  override as(token: string | undefined): TestClient {
    return new TestClient(this.#node, token, this.ip);
  }

  from(ip: string): TestClient {
    return new TestClient(this.#node, this.token, ip);
  }
}

function injectTransport(node: RostraNode, ip: string): Transport {
  return async (req) => {
    const res = await node.http.app.inject({
      method: req.method,
      url: req.path,
      headers: req.headers,
      remoteAddress: ip,
      ...(req.body !== undefined ? { payload: req.body } : {}),
    });
    return { status: res.statusCode, headers: res.headers as Headers, text: res.body };
  };
}

export interface TestUser {
  id: string;
  handle: string;
  token: string;
  client: TestClient;
}

let handleSeq = 0;

/** Signs up a fresh user and returns a client that acts as them. */
export async function signUp(node: RostraNode, prefix = 'user'): Promise<TestUser> {
  const handle =
    `${prefix.slice(0, 8)}_${(++handleSeq).toString(36)}${Math.floor(Math.random() * 1e4).toString(36)}`.slice(
      0,
      15,
    );
  const anon = new TestClient(node);
  const res = await anon.post<{ user: { id: string }; token: string }>('/api/v1/auth/signup', {
    handle,
    password: 'correct horse battery',
    displayName: prefix,
  });
  if (res.status !== 201) throw new Error(`sign-up failed: ${res.status} ${res.text}`);
  return { id: res.body.user.id, handle, token: res.body.token, client: anon.as(res.body.token) };
}

export { ManualClock };
