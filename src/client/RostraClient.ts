/**
 * The one Node client of Rostra's HTTP API, for the CLI, the bots, `rostra listen`, the load test and the
 * tests. Typed by the wire contract (src/contract). It speaks through a Transport, so the same calls go
 * over `fetch` (the CLI, the listener), a keep-alive socket pool (the load test) or fastify's in-memory
 * inject (TestClient). Raw calls (`request`, `get`, `post`, …) answer any status; typed calls (`listen`,
 * `createSpace`, …) return the body or throw an ApiError with the server's code.
 */
import type {
  Admission,
  ErrorBody,
  NewSpace,
  Replay,
  Session,
  SpaceView,
  TicketRenewal,
  User,
} from '../contract/index.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type Headers = Record<string, string | string[] | undefined>;

export interface TransportRequest {
  readonly method: HttpMethod;
  /** Path and query, e.g. `/api/v1/spaces/abc`. */
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: string;
}

export interface TransportResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

/** Carries one request; a network failure rejects (the client makes it an ApiError `unreachable`). */
export type Transport = (req: TransportRequest) => Promise<TransportResponse>;

export interface ApiResponse<T = unknown> {
  status: number;
  headers: Headers;
  /** The parsed JSON body, when the answer is JSON. */
  body: T;
  text: string;
}

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfter?: number,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

/** Requests over `fetch` to `origin` (e.g. `http://localhost:8080`), each bounded by `timeoutMs`. */
export function fetchTransport(
  origin: string,
  fetchImpl: typeof fetch = fetch,
  timeoutMs = 30_000,
): Transport {
  return async (req) => {
    const res = await fetchImpl(`${origin}${req.path}`, {
      method: req.method,
      headers: req.headers,
      ...(req.body !== undefined ? { body: req.body } : {}),
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: res.status, headers: Object.fromEntries(res.headers), text: await res.text() };
  };
}

export interface RostraClientOptions {
  /** Where links are resolved and what messages name, e.g. `http://localhost:8080`. */
  readonly origin: string;
  readonly token?: string | undefined;
}

export class RostraClient {
  readonly origin: string;
  token: string | undefined;
  readonly #transport: Transport;

  constructor(transport: Transport, opts: RostraClientOptions) {
    this.#transport = transport;
    this.origin = opts.origin.replace(/\/+$/, '');
    this.token = opts.token;
  }

  /** A client of a server at `origin` over `fetch`. */
  static over(origin: string, token?: string, fetchImpl: typeof fetch = fetch): RostraClient {
    const base = origin.replace(/\/+$/, '');
    return new RostraClient(fetchTransport(base, fetchImpl), { origin: base, token });
  }

  /** The same server, as another user (or anonymous). */
  as(token: string | undefined): RostraClient {
    return new RostraClient(this.#transport, { origin: this.origin, token });
  }

  // ---- raw: any status comes back ----

  async request<T = unknown>(
    method: HttpMethod,
    path: string,
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
    let res: TransportResponse;
    try {
      res = await this.#transport({
        method,
        path,
        headers: h,
        ...(payload !== undefined ? { body: payload } : {}),
      });
    } catch (err) {
      const cause = (err as Error).cause instanceof Error ? ((err as Error).cause as Error) : (err as Error);
      throw new ApiError(0, 'unreachable', `cannot reach ${this.origin}: ${cause.message}`);
    }
    const type = res.headers['content-type'];
    const json = res.text.length > 0 && String(type ?? '').includes('json');
    return {
      status: res.status,
      headers: res.headers,
      body: (json ? parse(res.text) : undefined) as T,
      text: res.text,
    };
  }

  get<T = unknown>(path: string) {
    return this.request<T>('GET', path);
  }
  post<T = unknown>(path: string, body?: unknown) {
    return this.request<T>('POST', path, body);
  }
  put<T = unknown>(path: string, body?: unknown) {
    return this.request<T>('PUT', path, body);
  }
  delete<T = unknown>(path: string) {
    return this.request<T>('DELETE', path);
  }

  /** A call that must succeed: the body, or an ApiError with the server's code. */
  async call<T>(method: HttpMethod, path: string, body?: unknown): Promise<T> {
    const res = await this.request<T>(method, path, body);
    if (res.status >= 200 && res.status < 300) return res.body;
    throw errorOf(res);
  }

  // ---- typed calls ----

  /** Signs up and keeps the session's token. */
  async signUp(handle: string, password: string, displayName: string): Promise<Session> {
    const s = await this.call<Session>('POST', '/api/v1/auth/signup', { handle, password, displayName });
    this.token = s.token;
    return s;
  }

  /** Signs in and keeps the session's token. */
  async signIn(handle: string, password: string): Promise<Session> {
    const s = await this.call<Session>('POST', '/api/v1/auth/signin', { handle, password });
    this.token = s.token;
    return s;
  }

  me(): Promise<User> {
    return this.call<User>('GET', '/api/v1/me');
  }

  createSpace(space: NewSpace): Promise<SpaceView> {
    return this.call<SpaceView>('POST', '/api/v1/spaces', space);
  }

  space(spaceId: string): Promise<SpaceView> {
    return this.call<SpaceView>('GET', `/api/v1/spaces/${spaceId}`);
  }

  /** Ends a live space (host). */
  async endSpace(spaceId: string): Promise<void> {
    await this.call('POST', `/api/v1/spaces/${spaceId}/end`);
  }

  /** A moderation verb on one user: invite, cohost, uncohost, mute, unmute, take-mic, remove. */
  async moderate(spaceId: string, userId: string, verb: string): Promise<void> {
    await this.call('POST', `/api/v1/spaces/${spaceId}/users/${userId}/${verb}`);
  }

  async answerInvitation(spaceId: string, accept: boolean): Promise<void> {
    await this.call('POST', `/api/v1/spaces/${spaceId}/invitation`, { accept });
  }

  /** Asks to listen: a ticket and the playlist URL (503 space_unavailable + retryAfter when refused). */
  listen(spaceId: string, ticket?: string): Promise<Admission> {
    return this.call<Admission>(
      'POST',
      `/api/v1/spaces/${spaceId}/listen`,
      ticket !== undefined ? { ticket } : {},
    );
  }

  heartbeat(spaceId: string, ticket: string): Promise<TicketRenewal> {
    return this.call<TicketRenewal>('POST', `/api/v1/spaces/${spaceId}/heartbeat`, { ticket });
  }

  async leave(spaceId: string, ticket: string): Promise<void> {
    await this.call('POST', `/api/v1/spaces/${spaceId}/leave`, { ticket });
  }

  replay(spaceId: string): Promise<Replay> {
    return this.call<Replay>('GET', `/api/v1/spaces/${spaceId}/replay`);
  }
}

/** The ApiError for a non-2xx answer: the coded body when there is one, else the status. */
export function errorOf(res: ApiResponse): ApiError {
  const e = (res.body as Partial<ErrorBody> | undefined)?.error;
  const header = Number(firstHeader(res.headers['retry-after']));
  const retryAfter = e?.retryAfter ?? (Number.isFinite(header) && header > 0 ? header : undefined);
  return new ApiError(
    res.status,
    e?.code ?? `http_${res.status}`,
    e?.message ?? (res.text.slice(0, 200) || `HTTP ${res.status}`),
    retryAfter,
    e?.details,
  );
}

function firstHeader(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined; // not JSON after all (a proxy's error page): the status and text say enough
  }
}
