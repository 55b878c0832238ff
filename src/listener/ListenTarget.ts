/**
 * What `rostra listen` was pointed at, and the API calls around playback: the listener ticket (join,
 * heartbeat, leave) for a live space, or the replay's playlist for an ended one. Refusals become a
 * ListenError carrying the server's code, message and Retry-After.
 */
import { ApiError, fetchTransport, RostraClient } from '../client/index.js';
import type { Admission } from '../contract/index.js';

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

/** The same message for a refused API call as for a refused media request. */
function listenErrorOf(err: unknown, what: string): unknown {
  if (!(err instanceof ApiError)) return err;
  if (err.status === 0) return new ListenError(`${what}: ${err.message}`);
  const retry = err.retryAfter !== undefined ? ` Retry after ${err.retryAfter} s.` : '';
  return new ListenError(`${what}: ${err.status} ${err.code}: ${err.message}${retry}`, {
    status: err.status,
    code: err.code,
    ...(err.retryAfter !== undefined ? { retryAfterS: err.retryAfter } : {}),
  });
}

/** The API calls around playback, through the one client (RostraClient); refusals become ListenErrors. */
export class SpaceApi {
  readonly #client: RostraClient;
  readonly #spaceId: string;

  constructor(target: ListenTarget, fetchImpl: typeof fetch) {
    this.#client = new RostraClient(fetchTransport(target.origin, fetchImpl, 10_000), {
      origin: target.origin,
    });
    this.#spaceId = target.spaceId;
  }

  async #do<T>(call: Promise<T>, what: string): Promise<T> {
    try {
      return await call;
    } catch (err) {
      throw listenErrorOf(err, what);
    }
  }

  /**
   * Asks to listen. The answer's playlist URL is built from the server's public URL; when that cannot be
   * reached from here (port 0: a test node that did not know its port yet) the page's origin is used.
   */
  async join(): Promise<Admission> {
    const a = await this.#do(this.#client.listen(this.#spaceId), 'The server refused to let us listen');
    const url = new URL(a.playlistUrl, this.#client.origin);
    const playlistUrl = url.port === '0' ? `${this.#client.origin}${url.pathname}` : url.href;
    return { ...a, playlistUrl };
  }

  /** Renews the ticket (and stays counted). */
  async heartbeat(ticket: string): Promise<string> {
    return (await this.#do(this.#client.heartbeat(this.#spaceId, ticket), 'Heartbeat refused')).ticket;
  }

  async leave(ticket: string): Promise<void> {
    await this.#do(this.#client.leave(this.#spaceId, ticket), 'Leave refused');
  }

  /** The replay's playlist URL (absolute). */
  async replay(): Promise<string> {
    const r = await this.#do(this.#client.replay(this.#spaceId), 'No replay to play');
    return new URL(r.playlistUrl, this.#client.origin).href;
  }
}
