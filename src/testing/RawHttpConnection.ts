/**
 * One keep-alive HTTP/1.1 connection on a raw socket, for tests that must know which connection a
 * request went on (the guard's lanes hold connections, not requests). Reads each answer's status.
 */
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';

export class RawHttpConnection {
  readonly socket: Socket;
  #buf = '';
  readonly #waiting: ((status: number) => void)[] = [];

  /** `localAddress`: a loopback address of the client's own (all of 127/8 is loopback). */
  constructor(port: number, localAddress?: string) {
    this.socket = connect({ host: '127.0.0.1', port, ...(localAddress ? { localAddress } : {}) });
    this.socket.setEncoding('latin1');
    this.socket.on('data', (d: string) => {
      this.#buf += d;
      for (;;) {
        const head = this.#buf.indexOf('\r\n\r\n');
        if (head < 0) return;
        const length = Number(/content-length: *(\d+)/i.exec(this.#buf.slice(0, head))?.[1] ?? 0);
        if (this.#buf.length < head + 4 + length) return;
        const status = Number(this.#buf.slice(9, 12));
        this.#buf = this.#buf.slice(head + 4 + length);
        this.#waiting.shift()?.(status);
      }
    });
  }

  static async open(port: number, localAddress?: string): Promise<RawHttpConnection> {
    const c = new RawHttpConnection(port, localAddress);
    await once(c.socket, 'connect');
    return c;
  }

  /** The client's port: how the server side tells connections apart. */
  get port(): number {
    return this.socket.localPort as number;
  }

  /** Sends a GET; the promise is its answer's status. */
  send(path: string): Promise<number> {
    this.socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);
    return new Promise((resolve) => this.#waiting.push(resolve));
  }
}
