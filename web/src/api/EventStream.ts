/**
 * The typed event stream: one WebSocket per client at /api/v1/events, subscribed to spaces. It reconnects
 * with jittered exponential backoff and subscribes again; a handler that throws does not break the others.
 */
import type { EventOf, ServerEvent } from './types.js';

export type EventType = ServerEvent['type'];
export type { EventOf };
export type StreamStatus = 'connecting' | 'open' | 'closed';

export interface EventStreamOptions {
  /** ws(s)://host/api/v1/events; default from the page's origin. */
  url?: string;
  /** First retry delay (doubles up to maxDelayMs). Default 500 ms. */
  minDelayMs?: number;
  /** Default 20 000 ms. */
  maxDelayMs?: number;
}

type Handler<T extends EventType> = (event: EventOf<T>) => void;

export class EventStream {
  readonly #url: string;
  readonly #minDelay: number;
  readonly #maxDelay: number;
  readonly #handlers = new Map<EventType, Set<(e: ServerEvent) => void>>();
  readonly #statusHandlers = new Set<(s: StreamStatus, reconnected: boolean) => void>();
  /** spaceId → how many subscribers want it. */
  readonly #spaces = new Map<string, number>();
  #token: string | undefined;
  #socket: WebSocket | null = null;
  #attempt = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #status: StreamStatus = 'closed';
  #everOpened = false;
  #closed = false;

  constructor(opts: EventStreamOptions = {}) {
    this.#url =
      opts.url ?? `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/api/v1/events`;
    this.#minDelay = opts.minDelayMs ?? 500;
    this.#maxDelay = opts.maxDelayMs ?? 20_000;
  }

  get status(): StreamStatus {
    return this.#status;
  }

  /** Connects (or reconnects) as this user; undefined is anonymous. */
  setToken(token: string | undefined): void {
    if (token === this.#token && this.#socket) return;
    this.#token = token;
    if (this.#socket || this.#spaces.size > 0) this.#reconnectNow();
  }

  on<T extends EventType>(type: T, handler: Handler<T>): () => void {
    let set = this.#handlers.get(type);
    if (!set) this.#handlers.set(type, (set = new Set()));
    const h = handler as (e: ServerEvent) => void;
    set.add(h);
    return () => set.delete(h);
  }

  /** `reconnected` is true when the socket opened again after a drop: refetch what may have been missed. */
  onStatus(handler: (s: StreamStatus, reconnected: boolean) => void): () => void {
    this.#statusHandlers.add(handler);
    return () => this.#statusHandlers.delete(handler);
  }

  /** Subscribes to a space's events; the returned function unsubscribes (counted per caller). */
  subscribe(spaceId: string): () => void {
    const n = this.#spaces.get(spaceId) ?? 0;
    this.#spaces.set(spaceId, n + 1);
    if (n === 0) this.#send({ v: 1, type: 'subscribe', spaceId });
    this.#ensureOpen();
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const left = (this.#spaces.get(spaceId) ?? 1) - 1;
      if (left > 0) this.#spaces.set(spaceId, left);
      else {
        this.#spaces.delete(spaceId);
        this.#send({ v: 1, type: 'unsubscribe', spaceId });
      }
    };
  }

  /** Connects now even with no subscription (a signed-in user gets reminders and invitations). */
  open(): void {
    this.#ensureOpen();
  }

  /** Idempotent: closes the socket, stops retrying, drops every handler. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#socket?.close(1000);
    this.#socket = null;
    this.#handlers.clear();
    this.#statusHandlers.clear();
    this.#spaces.clear();
  }

  #ensureOpen(): void {
    if (!this.#socket && this.#timer === undefined && !this.#closed) this.#connect();
  }

  #reconnectNow(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const old = this.#socket;
    this.#socket = null;
    old?.close(1000);
    this.#attempt = 0;
    this.#connect();
  }

  #connect(): void {
    if (this.#closed) return;
    this.#timer = undefined;
    // The token goes in the first message, never in the URL, where proxies and access logs keep it.
    const token = this.#token;
    const ws = new WebSocket(this.#url);
    this.#socket = ws;
    this.#setStatus('connecting', false);
    ws.onopen = () => {
      if (this.#socket !== ws) return;
      this.#attempt = 0;
      if (token !== undefined) this.#send({ v: 1, type: 'auth', token });
      for (const spaceId of this.#spaces.keys()) this.#send({ v: 1, type: 'subscribe', spaceId });
      const reconnected = this.#everOpened;
      this.#everOpened = true;
      this.#setStatus('open', reconnected);
    };
    ws.onmessage = (msg) => {
      if (this.#socket !== ws || typeof msg.data !== 'string') return;
      let event: ServerEvent;
      try {
        event = JSON.parse(msg.data) as ServerEvent;
      } catch (err) {
        console.warn('events: dropped a message that is not JSON', err);
        return;
      }
      this.#emit(event);
    };
    ws.onclose = () => {
      if (this.#socket !== ws) return;
      this.#socket = null;
      this.#setStatus('closed', false);
      this.#scheduleRetry();
    };
  }

  #scheduleRetry(): void {
    if (this.#closed || this.#timer !== undefined) return;
    const base = Math.min(this.#maxDelay, this.#minDelay * 2 ** this.#attempt++);
    this.#timer = setTimeout(() => this.#connect(), base / 2 + Math.random() * (base / 2));
  }

  #send(message: unknown): void {
    if (this.#socket?.readyState === WebSocket.OPEN) this.#socket.send(JSON.stringify(message));
  }

  #emit(event: ServerEvent): void {
    for (const h of [...(this.#handlers.get(event.type) ?? [])]) {
      try {
        h(event);
      } catch (err) {
        console.error(`events: a '${event.type}' handler failed`, err);
      }
    }
  }

  #setStatus(s: StreamStatus, reconnected: boolean): void {
    this.#status = s;
    for (const h of [...this.#statusHandlers]) {
      try {
        h(s, reconnected);
      } catch (err) {
        console.error('events: a status handler failed', err);
      }
    }
  }
}
