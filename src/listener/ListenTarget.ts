/**
 * What `rostra listen` was pointed at, and the API calls around playback: the listener ticket (join,
 * heartbeat, leave) for a live space, or the replay's playlist for an ended one. Refusals become a
 * ListenError carrying the server's code, message and Retry-After.
 */

export class ListenError extends Error {
  override name = 'ListenError';
  constructor(
    message: string,
    readonly info: { status?: number; code?: string; retryAfterS?: number } = {},
  ) {
    super(message);
  }
}

export type ListenTarget =
  | { kind: 'live'; origin: string; spaceId: string; playlistUrl?: string }
  | { kind: 'replay'; origin: string; spaceId: string; playlistUrl?: string };

const ID = '([A-Za-z0-9_-]{1,64})';
const PATTERNS: [RegExp, ListenTarget['kind'], boolean][] = [
  [new RegExp(`^/s/${ID}/?$`), 'live', false],
  [new RegExp(`^/live/${ID}/(index|audio)\\.m3u8$`), 'live', true],
  [new RegExp(`^/r/${ID}/?$`), 'replay', false],
  [new RegExp(`^/replay/${ID}/index\\.m3u8$`), 'replay', true],
];

/** A space page (`/s/:id`), a live playlist, a replay page (`/r/:id`) or a replay playlist. */
export function parseListenTarget(raw: string): ListenTarget {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ListenError(
      `"${raw}" is not a URL. Give a space page like http://host/s/<id> or a playlist URL.`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ListenError(`"${raw}" is not an http(s) URL.`);
  }
  for (const [re, kind, isPlaylist] of PATTERNS) {
    const m = re.exec(url.pathname);
    if (m) {
      const spaceId = m[1] as string;
      return isPlaylist
        ? { kind, origin: url.origin, spaceId, playlistUrl: url.href }
        : { kind, origin: url.origin, spaceId };
    }
  }
  throw new ListenError(
    `"${raw}" is not a Rostra space page (/s/<id>, /r/<id>) or playlist (/live/<id>/index.m3u8, /replay/<id>/index.m3u8).`,
  );
}

/** Turns a non-2xx answer into a ListenError with the server's coded message. */
export async function failure(res: Response, what: string): Promise<ListenError> {
  const text = await res.text().catch(() => '');
  let code: string | undefined;
  let message = text.slice(0, 200);
  let retryAfterS: number | undefined;
  try {
    const body = JSON.parse(text) as { error?: { code?: string; message?: string; retryAfter?: number } };
    code = body.error?.code;
    message = body.error?.message ?? message;
    retryAfterS = body.error?.retryAfter;
  } catch {
    // not JSON (a proxy's error page): the status and the start of the text say enough
  }
  const header = Number(res.headers.get('retry-after'));
  if (Number.isFinite(header) && header > 0) retryAfterS = header;
  const retry = retryAfterS !== undefined ? ` Retry after ${retryAfterS} s.` : '';
  return new ListenError(`${what}: ${res.status}${code ? ` ${code}` : ''}: ${message}${retry}`, {
    status: res.status,
    ...(code !== undefined ? { code } : {}),
    ...(retryAfterS !== undefined ? { retryAfterS } : {}),
  });
}

export interface Admission {
  readonly ticket: string;
  readonly playlistUrl: string;
  readonly heartbeatSeconds: number;
}

export class SpaceApi {
  readonly #origin: string;
  readonly #spaceId: string;
  readonly #fetch: typeof fetch;

  constructor(target: ListenTarget, fetchImpl: typeof fetch) {
    this.#origin = target.origin;
    this.#spaceId = target.spaceId;
    this.#fetch = fetchImpl;
  }

  async #post<T>(path: string, body: unknown, what: string): Promise<T> {
    const res = await this.#fetch(`${this.#origin}/api/v1/spaces/${this.#spaceId}/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) throw await failure(res, what);
    return (res.status === 204 ? undefined : await res.json()) as T;
  }

  /**
   * Asks to listen. The answer's playlist URL is built from the server's public URL; when that cannot be
   * reached from here (port 0: a test node that did not know its port yet) the page's origin is used.
   */
  async join(): Promise<Admission> {
    const a = await this.#post<Admission>('listen', {}, 'The server refused to let us listen');
    const url = new URL(a.playlistUrl, this.#origin);
    const playlistUrl = url.port === '0' ? `${this.#origin}${url.pathname}` : url.href;
    return { ticket: a.ticket, playlistUrl, heartbeatSeconds: a.heartbeatSeconds };
  }

  /** Renews the ticket (and stays counted). */
  async heartbeat(ticket: string): Promise<string> {
    return (await this.#post<{ ticket: string }>('heartbeat', { ticket }, 'Heartbeat refused')).ticket;
  }

  async leave(ticket: string): Promise<void> {
    await this.#post('leave', { ticket }, 'Leave refused');
  }

  /** The replay's playlist URL (absolute). */
  async replay(): Promise<string> {
    const res = await this.#fetch(`${this.#origin}/api/v1/spaces/${this.#spaceId}/replay`, {
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) throw await failure(res, 'No replay to play');
    const body = (await res.json()) as { playlistUrl: string };
    return new URL(body.playlistUrl, this.#origin).href;
  }
}
