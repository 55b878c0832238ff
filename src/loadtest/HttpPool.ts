/**
 * One keep-alive socket pool shared by every simulated listener, with byte and request accounting.
 * Bodies are kept only when the caller needs them (playlists, JSON); media bodies are only counted.
 */
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import type { HttpMethod, Transport } from '../client/index.js';

export interface HttpAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  /** The body, when `keepBody` was asked; else empty. */
  body: string;
  bytes: number;
}

export class HttpPool {
  readonly host: string;
  readonly port: number;
  readonly #agent: Agent;
  readonly #timeoutMs: number;
  requests = 0;
  bytes = 0;
  #closed = false;

  constructor(opts: { host: string; port: number; timeoutMs?: number }) {
    this.host = opts.host;
    this.port = opts.port;
    this.#timeoutMs = opts.timeoutMs ?? 10_000;
    // LIFO reuse keeps the set of warm sockets small when the load dips.
    this.#agent = new Agent({ keepAlive: true, maxSockets: Infinity, scheduling: 'lifo' });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The pool as the API client's transport (RostraClient): API calls share the listeners' sockets. */
  readonly transport: Transport = async (req) => {
    const res = await this.send(req.method, req.path, {
      headers: req.headers,
      ...(req.body !== undefined ? { body: req.body } : {}),
      keepBody: true,
    });
    return { status: res.status, headers: res.headers, text: res.body };
  };

  send(
    method: HttpMethod,
    path: string,
    opts: { headers?: Record<string, string>; json?: unknown; body?: string; keepBody?: boolean } = {},
  ): Promise<HttpAnswer> {
    const payload = opts.body ?? (opts.json === undefined ? undefined : JSON.stringify(opts.json));
    const headers: Record<string, string> = { ...opts.headers };
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(Buffer.byteLength(payload));
    }
    this.requests++;
    return new Promise((resolve, reject) => {
      const req = request(
        { host: this.host, port: this.port, method, path, headers, agent: this.#agent },
        (res) => {
          const chunks: Buffer[] = [];
          let bytes = 0;
          res.on('data', (c: Buffer) => {
            bytes += c.length;
            if (opts.keepBody) chunks.push(c);
          });
          res.on('end', () => {
            this.bytes += bytes;
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: opts.keepBody ? Buffer.concat(chunks).toString('utf8') : '',
              bytes,
            });
          });
          res.on('error', reject);
        },
      );
      req.setTimeout(this.#timeoutMs, () =>
        req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })),
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  /** Closes every socket; requests still in flight fail. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#agent.destroy();
  }
}
