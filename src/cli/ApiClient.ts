/** A small client of Rostra's HTTP API for the CLI verbs (demo, bot, listen, loadtest). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfter?: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export class ApiClient {
  readonly base: string;
  token: string | undefined;

  constructor(base: string, token?: string) {
    this.base = base.replace(/\/+$/, '');
    this.token = token;
  }

  async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`;
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        headers,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
    } catch (err) {
      throw new ApiError(
        0,
        'unreachable',
        `cannot reach ${this.base}: ${(err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : (err as Error).message}`,
      );
    }
    const text = await res.text();
    const json: unknown = text ? safeJson(text) : undefined;
    if (!res.ok) {
      const e = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
      const retry = res.headers.get('retry-after');
      throw new ApiError(
        res.status,
        e?.code ?? 'http_error',
        e?.message ?? `${res.status} ${res.statusText}`,
        retry !== null ? Number(retry) : undefined,
      );
    }
    return json as T;
  }

  /** Signs up a fresh user and keeps its token. */
  async signUp(
    handle: string,
    password: string,
    displayName: string,
  ): Promise<{ id: string; handle: string }> {
    const r = await this.call<{ user: { id: string; handle: string }; token: string }>(
      'POST',
      '/api/v1/auth/signup',
      { handle, password, displayName },
    );
    this.token = r.token;
    return r.user;
  }

  async signIn(handle: string, password: string): Promise<{ id: string; handle: string }> {
    const r = await this.call<{ user: { id: string; handle: string }; token: string }>(
      'POST',
      '/api/v1/auth/signin',
      { handle, password },
    );
    this.token = r.token;
    return r.user;
  }

  as(token: string): ApiClient {
    return new ApiClient(this.base, token);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined; // not JSON (e.g. a proxy's HTML error page): the status says enough
  }
}
