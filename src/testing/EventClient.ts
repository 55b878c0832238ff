/** A WebSocket client of the event stream for tests: collects events and waits for the one it needs. */
import { WebSocket } from 'ws';
import type { ServerEvent } from '../contract/protocol.js';

export class EventClient {
  readonly events: ServerEvent[] = [];
  readonly #ws: WebSocket;
  #waiters: (() => void)[] = [];

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.on('message', (data) => {
      this.events.push(JSON.parse(data.toString()) as ServerEvent);
      for (const w of this.#waiters) w();
    });
  }

  static async connect(baseUrl: string, token?: string): Promise<EventClient> {
    const url = `${baseUrl.replace(/^http/, 'ws')}/api/v1/events${token !== undefined ? `?token=${token}` : ''}`;
    const ws = new WebSocket(url);
    const client = new EventClient(ws);
    await client.next('hello');
    return client;
  }

  send(message: unknown): void {
    this.#ws.send(JSON.stringify(message));
  }

  async subscribe(spaceId: string): Promise<void> {
    this.send({ v: 1, type: 'subscribe', spaceId });
    await this.next('subscribed', (e) => e.spaceId === spaceId);
  }

  /**
   * The first event of this type (matching `where`) seen so far or arriving within `ms`: a deadline for
   * a busy machine, generous by default, not a bound on how fast events come.
   */
  async next<T extends ServerEvent['type']>(
    type: T,
    where: (e: Extract<ServerEvent, { type: T }>) => boolean = () => true,
    ms = 20_000,
  ): Promise<Extract<ServerEvent, { type: T }>> {
    const find = () =>
      this.events.find(
        (e): e is Extract<ServerEvent, { type: T }> =>
          e.type === type && where(e as Extract<ServerEvent, { type: T }>),
      );
    const found = find();
    if (found) return found;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== check);
        reject(
          new Error(
            `no ${type} event within ${ms} ms; got ${JSON.stringify(this.events.map((e) => e.type))}`,
          ),
        );
      }, ms);
      const check = () => {
        const hit = find();
        if (!hit) return;
        clearTimeout(timer);
        this.#waiters = this.#waiters.filter((w) => w !== check);
        resolve(hit);
      };
      this.#waiters.push(check);
    });
  }

  has(type: ServerEvent['type']): boolean {
    return this.events.some((e) => e.type === type);
  }

  async close(): Promise<void> {
    if (this.#ws.readyState === this.#ws.CLOSED) return;
    const closed = new Promise((resolve) => this.#ws.once('close', resolve));
    this.#ws.close();
    await closed;
  }
}
