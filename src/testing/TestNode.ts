/**
 * Test helpers: a node on an in-memory store and bus (or the ones given), and a small typed client that
 * speaks to it in memory (fastify inject) or over real HTTP.
 */
import { loadConfig, type ConfigInput } from '../config/Config.js';
import { ManualClock } from '../control/Clock.js';
import { RostraNode, type RostraNodeOptions } from '../server/RostraNode.js';
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
    { port, host: '127.0.0.1', dataDir: '', logLevel: 'silent', ...opts.config },
  );
  const nodeOpts: RostraNodeOptions = { config, passwordParams: TEST_PASSWORD_PARAMS };
  if (opts.store) nodeOpts.store = opts.store;
  if (opts.bus) nodeOpts.bus = opts.bus;
  if (opts.clock) nodeOpts.clock = opts.clock;
  if (opts.webDist !== undefined) nodeOpts.webDist = opts.webDist;
  return RostraNode.open(nodeOpts);
}

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: T;
  text: string;
}

export interface ErrorBody {
  error: { code: string; message: string; retryAfter?: number; details?: Record<string, unknown> };
}

/** Calls a node in memory through fastify's inject: no sockets, exact same handlers. */
export class TestClient {
  readonly #node: RostraNode;
  token: string | undefined;
  /** The client's address as the server sees it (per-IP limits). */
  readonly ip: string;

  constructor(node: RostraNode, token?: string, ip = '127.0.0.1') {
    this.#node = node;
    this.token = token;
    this.ip = ip;
  }

  as(token: string | undefined): TestClient {
    return new TestClient(this.#node, token, this.ip);
  }

  from(ip: string): TestClient {
    return new TestClient(this.#node, this.token, ip);
  }

  async request<T = unknown>(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    url: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<ApiResponse<T>> {
    const h: Record<string, string> = { ...headers };
    if (this.token !== undefined && h.authorization === undefined) h.authorization = `Bearer ${this.token}`;
    let payload: string | undefined;
    if (body !== undefined) {
      payload = typeof body === 'string' ? body : JSON.stringify(body);
      h['content-type'] ??= 'application/json';
    }
    const res = await this.#node.http.app.inject({
      method,
      url,
      headers: h,
      remoteAddress: this.ip,
      ...(payload !== undefined ? { payload } : {}),
    });
    let parsed: unknown = undefined;
    if (res.body.length > 0 && String(res.headers['content-type'] ?? '').includes('json'))
      parsed = JSON.parse(res.body);
    return {
      status: res.statusCode,
      headers: res.headers as ApiResponse['headers'],
      body: parsed as T,
      text: res.body,
    };
  }

  get<T = unknown>(url: string) {
    return this.request<T>('GET', url);
  }
  post<T = unknown>(url: string, body?: unknown) {
    return this.request<T>('POST', url, body);
  }
  put<T = unknown>(url: string, body?: unknown) {
    return this.request<T>('PUT', url, body);
  }
  delete<T = unknown>(url: string) {
    return this.request<T>('DELETE', url);
  }
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
