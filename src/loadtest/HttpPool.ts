/**
 * The load test's HTTP side: one keep-alive connection per simulated listener (as a player holds one),
 * over undici's Client, with byte and request accounting shared by all of them.
 *
 * Why undici's Client driven through `dispatch` with a handler object: the generator must stay cheaper
 * than the server it loads on a shared machine, and node:http's client costs a ClientRequest, an
 * IncomingMessage stream, a headers object and a socket timer per request. Here a request is one small
 * handler object; media bodies are only counted, never copied; playlists and API answers are kept.
 */
import { Client, type Dispatcher } from 'undici';
import type { Headers, HttpMethod, Transport } from '../client/index.js';

/** What a request keeps of its answer: nothing but the byte count (media), the body's bytes, or its text. */
export type Keep = 'count' | 'bytes' | 'text';

export interface HttpAnswer {
  status: number;
  /** Response headers, lower-cased; only filled for `text` (the API client reads them). */
  headers: Headers;
  /** The body as UTF-8 text, for `text`; else empty. */
  body: string;
  /** The body's bytes, for `bytes`; else undefined. May be a view of the socket's read buffer. */
  raw: Buffer | undefined;
  bytes: number;
}

export class HttpPool {
  readonly host: string;
  readonly port: number;
  readonly timeoutMs: number;
  readonly origin: string;
  requests = 0;
  bytes = 0;
  /**
   * What ends a connection, made once: undici would make an error per connection closed, and node's
   * socket destroy reads each one's stack, which with source maps on (tsx) costs more than the
   * listener's requests (thousands close together at the end of a run).
   */
  readonly closedError: Error = closedError();
  readonly #open = new Set<HttpConnection>();
  #closed = false;

  constructor(opts: { host: string; port: number; timeoutMs?: number }) {
    this.host = opts.host;
    this.port = opts.port;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.origin = `http://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${opts.port}`;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** A new keep-alive connection (opened on its first request), closed with the pool. */
  connect(): HttpConnection {
    const c = new HttpConnection(this, () => this.#open.delete(c));
    if (this.#closed) c.close();
    else this.#open.add(c);
    return c;
  }

  /** Closes every connection; requests still in flight fail. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const c of this.#open) c.close();
    this.#open.clear();
  }
}

/** One connection: requests on it go one after another (no pipelining), as a player's do. */
export class HttpConnection {
  readonly #pool: HttpPool;
  readonly #client: Client;
  readonly #onClose: () => void;
  #closed = false;

  constructor(pool: HttpPool, onClose: () => void) {
    this.#pool = pool;
    this.#onClose = onClose;
    this.#client = new Client(pool.origin, {
      pipelining: 1,
      headersTimeout: pool.timeoutMs,
      bodyTimeout: pool.timeoutMs,
      connectTimeout: pool.timeoutMs,
      // A listener's connection is busy all the time (blocking reloads); the server's hint still rules.
      keepAliveTimeout: 60_000,
    });
  }

  /** The connection as the API client's transport (RostraClient): API calls share the listener's socket. */
  readonly transport: Transport = async (req) => {
    const headers: string[] = [];
    for (const [k, v] of Object.entries(req.headers)) headers.push(k, v);
    const res = await this.request(req.method, req.path, headers, req.body ?? null, 'text');
    return { status: res.status, headers: res.headers, text: res.body };
  };

  /** A JSON POST (or any method) whose answer's body is not needed. */
  send(method: HttpMethod, path: string, json: unknown): Promise<HttpAnswer> {
    const payload = JSON.stringify(json);
    return this.request(method, path, ['content-type', 'application/json'], payload, 'count');
  }

  /** One request. `headers` is a flat [name, value, …] list; `keep` says what of the answer is kept. */
  request(
    method: HttpMethod,
    path: string,
    headers: string[],
    body: string | null,
    keep: Keep,
  ): Promise<HttpAnswer> {
    this.#pool.requests++;
    return new Promise((resolve, reject) => {
      if (this.#closed) return reject(coded('ECONNRESET', 'connection closed'));
      const exchange = new Exchange(this.#pool, keep, resolve, reject);
      this.#client.dispatch({ path, method, headers, body }, exchange);
    });
  }

  /** Ends the connection at once; a request in flight fails. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#onClose();
    // Destroying fails queued requests by their handlers; its callback has nothing to report.
    this.#client.destroy(this.#pool.closedError, noop);
  }
}

/** One request's state as undici reports it: a plain object with methods, no closures per request. */
class Exchange implements Dispatcher.DispatchHandlers {
  readonly #pool: HttpPool;
  readonly #resolve: (a: HttpAnswer) => void;
  readonly #reject: (e: Error) => void;
  readonly #keep: Keep;
  /** Body chunks, unless only counted. */
  readonly #chunks: Buffer[] | undefined;
  #rawHeaders: Buffer[] | undefined;
  #status = 0;
  #bytes = 0;

  constructor(pool: HttpPool, keep: Keep, resolve: (a: HttpAnswer) => void, reject: (e: Error) => void) {
    this.#pool = pool;
    this.#keep = keep;
    this.#resolve = resolve;
    this.#reject = reject;
    this.#chunks = keep === 'count' ? undefined : [];
  }

  onConnect(): void {}

  onHeaders(status: number, rawHeaders: Buffer[]): boolean {
    this.#status = status;
    if (this.#keep === 'text') this.#rawHeaders = rawHeaders;
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.#bytes += chunk.length;
    this.#chunks?.push(chunk);
    return true;
  }

  onComplete(): void {
    this.#pool.bytes += this.#bytes;
    const chunks = this.#chunks;
    const raw =
      chunks === undefined ? undefined : chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks);
    const text = this.#keep === 'text';
    this.#resolve({
      status: this.#status,
      headers: this.#rawHeaders ? headerRecord(this.#rawHeaders) : NO_HEADERS,
      body: text && raw ? raw.toString() : '',
      raw: text ? undefined : raw,
      bytes: this.#bytes,
    });
  }

  onError(err: Error): void {
    this.#reject(asNodeError(err));
  }
}

/** undici's raw header list as node:http gives it: lower-cased names, repeated ones as a list. */
function headerRecord(raw: Buffer[]): Headers {
  const out: Headers = {};
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = String(raw[i]).toLowerCase();
    const value = String(raw[i + 1]);
    const had = out[name];
    out[name] = had === undefined ? value : Array.isArray(had) ? [...had, value] : [had, value];
  }
  return out;
}

const noop = (): void => {};
/** The headers of an answer whose headers were not asked for. */
const NO_HEADERS: Headers = Object.freeze({});

function closedError(): Error {
  const err = Object.assign(new Error('connection closed by the load test'), { code: 'UND_ERR_DESTROYED' });
  void err.stack; // formatted now, once
  return err;
}

function coded(code: string, message: string, cause?: Error): NodeJS.ErrnoException {
  return Object.assign(new Error(message, cause ? { cause } : {}), { code });
}

/**
 * undici's errors under the codes node:http's client gave (the report's error keys stay comparable
 * across generators): timeouts are ETIMEDOUT, a socket closed under a request is ECONNRESET (or the
 * socket's own code); connect errors (ECONNREFUSED, …) come through as they are.
 */
function asNodeError(err: Error): Error {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return coded('ETIMEDOUT', err.message, err);
    case 'UND_ERR_SOCKET':
    case 'UND_ERR_CLOSED':
    case 'UND_ERR_DESTROYED':
    case 'UND_ERR_ABORTED': {
      const socketCode = (err.cause as NodeJS.ErrnoException | undefined)?.code;
      return coded(socketCode ?? 'ECONNRESET', err.message, err);
    }
    default:
      return err;
  }
}
