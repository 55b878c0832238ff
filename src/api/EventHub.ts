/**
 * The WebSocket event stream: one socket per client, subscribed to spaces. Each node subscribes to a
 * space's Bus channel once, however many local sockets watch it, and pushes the live count itself every
 * ~2 s. Slow sockets lose droppable events first and are closed before they can hold memory.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import type { Unsubscribe } from '../bus/Bus.js';
import type { ControlPlane } from '../control/ControlPlane.js';
import { isRostraError } from '../errors/index.js';
import { admitWebSocket } from '../guard/index.js';
import { logger } from '../log/Logger.js';
import type { Metrics } from '../metrics/Metrics.js';
import { ClientMessage, type ServerEvent } from '../contract/protocol.js';
import { channels, type BusEnvelope } from '../domain/spaceEvents.js';

const log = logger('api.events');

export const EVENTS_PATH = '/api/v1/events';
const MAX_MESSAGE_BYTES = 4096;
const MAX_SUBSCRIPTIONS = 8;
/** Above this many buffered bytes a socket skips droppable events; above the hard limit it is closed. */
const SOFT_BUFFER = 256 * 1024;
const HARD_BUFFER = 4 * 1024 * 1024;
const PING_MS = 30_000;
const DROPPABLE = new Set<ServerEvent['type']>(['reactions', 'count', 'speaking']);

interface Client {
  id: string;
  socket: WebSocket;
  userId: string | null;
  spaces: Set<string>;
  alive: boolean;
  window: { start: number; n: number };
}

interface Channel {
  sockets: Set<Client>;
  unsubscribe: Promise<Unsubscribe>;
  lastCount: number | undefined;
  /** Who is speaking, as the space's `speaking` events since this node subscribed say. */
  speaking: Set<string>;
}

/** Who is speaking now in a space whose media runs on this node (empty elsewhere). */
export type SpeakingNow = (spaceId: string) => readonly string[];

export class EventHub {
  readonly #plane: ControlPlane;
  readonly #metrics: Metrics;
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  readonly #clients = new Set<Client>();
  readonly #spaces = new Map<string, Channel>();
  readonly #users = new Map<string, Channel>();
  readonly #timers: NodeJS.Timeout[] = [];
  readonly #speakingNow: SpeakingNow;
  #closed = false;

  constructor(plane: ControlPlane, metrics: Metrics, speakingNow: SpeakingNow = () => []) {
    this.#plane = plane;
    this.#metrics = metrics;
    this.#speakingNow = speakingNow;
    this.#timers.push(setInterval(() => this.#pushCounts(), plane.ctx.config.timing.countPushMs).unref());
    this.#timers.push(setInterval(() => this.#pingAll(), PING_MS).unref());
  }

  get connections(): number {
    return this.#clients.size;
  }

  /** Local Bus subscriptions held (spaces + users): for leak checks. */
  get busSubscriptions(): number {
    return this.#spaces.size + this.#users.size;
  }

  /** Signed-in users watching a space from a socket on this node (StagePresence: is the host still here?). */
  *watchers(): Generator<readonly [spaceId: string, userId: string]> {
    for (const [spaceId, channel] of this.#spaces)
      for (const client of channel.sockets) if (client.userId !== null) yield [spaceId, client.userId];
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.#closed) {
      socket.destroy();
      return;
    }
    // The guard's door first: connect rate (Bus), open sockets per address and per node.
    void admitWebSocket(this.#plane.ctx.guard, req, socket, () => {
      if (this.#closed) {
        socket.destroy();
        return;
      }
      // The 101 and the hello leave in one write: a syscall less per socket, which a burst pays a
      // thousand times. #accept sends the hello before its first await when the URL has no token.
      socket.cork();
      try {
        this.#wss.handleUpgrade(req, socket, head, (ws) => {
          void this.#accept(ws, req);
        });
      } finally {
        socket.uncork();
      }
    });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.#timers) clearInterval(t);
    for (const client of this.#clients) client.socket.close(1001, 'server shutting down');
    await Promise.all(
      [...this.#spaces.values(), ...this.#users.values()].map(async (c) => (await c.unsubscribe)()),
    );
    this.#spaces.clear();
    this.#users.clear();
    this.#clients.clear();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
  }

  async #accept(socket: WebSocket, req: IncomingMessage): Promise<void> {
    const client: Client = {
      id: randomBytes(8).toString('base64url'),
      socket,
      userId: null,
      spaces: new Set(),
      alive: true,
      window: { start: Date.now(), n: 0 },
    };
    this.#clients.add(client);
    this.#metrics.wsConnections.set(this.#clients.size);
    socket.on('pong', () => (client.alive = true));
    socket.on('close', () => this.#drop(client));
    socket.on('error', (err) => log.debug({ err }, 'socket error'));
    socket.on('message', (data, isBinary) => void this.#onMessage(client, data, isBinary));
    // A socket that neither signs in nor subscribes within a few seconds is closed (the guard).
    const hello = setTimeout(() => {
      if (client.userId === null && client.spaces.size === 0) client.socket.close(4408, 'hello_timeout');
    }, this.#plane.ctx.config.guard.wsHelloSeconds * 1000);
    socket.once('close', () => clearTimeout(hello));
    // A token may come in the URL (browsers cannot set headers on a WebSocket) or in an `auth` message.
    const token = new URL(req.url ?? '/', 'http://x').searchParams.get('token');
    if (token !== null && !(await this.#authenticate(client, token))) return;
    this.#send(client, { v: 1, type: 'hello', connectionId: client.id, userId: client.userId });
  }

  async #authenticate(client: Client, token: string): Promise<boolean> {
    const session = await this.#plane.ctx.sessions.verify(token, this.#plane.ctx.clock.now());
    if (!session) {
      this.#send(client, {
        v: 1,
        type: 'error',
        code: 'invalid_token',
        message: 'The session token is invalid, expired or revoked.',
      });
      client.socket.close(4401, 'invalid_token');
      return false;
    }
    if (client.userId === session.userId) return true;
    if (client.userId !== null) this.#leave(this.#users, client.userId, client);
    client.userId = session.userId;
    this.#join(this.#users, session.userId, client);
    return true;
  }

  async #onMessage(client: Client, data: RawData, isBinary: boolean): Promise<void> {
    const now = Date.now();
    if (now - client.window.start >= 1000) client.window = { start: now, n: 0 };
    client.window.n++;
    const perSecond = this.#plane.ctx.config.guard.wsMessagesPerSecond;
    if (client.window.n > perSecond * 3) {
      this.#metrics.wsMessages.inc({ direction: 'in', outcome: 'closed_for_rate' });
      client.socket.close(1008, 'rate_limited');
      return;
    }
    if (client.window.n > perSecond)
      return this.#error(client, 'rate_limited', 'Too many messages; slow down.');
    if (isBinary) return this.#error(client, 'bad_request', 'Messages are JSON text.');
    let json: unknown;
    try {
      json = JSON.parse(data.toString());
    } catch {
      return this.#error(client, 'invalid_json', 'The message is not valid JSON.');
    }
    const parsed = ClientMessage.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return this.#error(
        client,
        'validation_failed',
        `Invalid message: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'unknown shape'}`,
      );
    }
    this.#metrics.wsMessages.inc({ direction: 'in', outcome: 'ok' });
    const msg = parsed.data;
    try {
      switch (msg.type) {
        case 'auth':
          if (await this.#authenticate(client, msg.token))
            this.#send(client, { v: 1, type: 'hello', connectionId: client.id, userId: client.userId });
          return;
        case 'subscribe': {
          if (client.spaces.has(msg.spaceId))
            return this.#send(client, { v: 1, type: 'subscribed', spaceId: msg.spaceId });
          if (client.spaces.size >= MAX_SUBSCRIPTIONS)
            return this.#error(client, 'rate_limited', `At most ${MAX_SUBSCRIPTIONS} spaces per connection.`);
          const space = await this.#plane.spaces.get(msg.spaceId);
          // Removed means removed: no new subscription, signed in or (where sign-in is required) not.
          if (client.userId !== null) await this.#plane.access.assertWelcome(space, client.userId);
          else if (!space.anonymousListening)
            return this.#error(client, 'sign_in_required', 'This space needs an account to follow.');
          client.spaces.add(space.id);
          this.#join(this.#spaces, space.id, client);
          this.#send(client, { v: 1, type: 'subscribed', spaceId: space.id });
          if (space.state === 'live' || space.state === 'backstage') {
            this.#send(client, {
              v: 1,
              type: 'count',
              spaceId: space.id,
              listeners: await this.#plane.audience.count(space.id),
            });
            // Who is speaking now, not only the next change: from the media on this node, and from
            // the events this node has seen. A node that subscribed to the space a moment ago and
            // does not run its media knows only from the next change.
            const seen = this.#spaces.get(space.id)?.speaking ?? new Set<string>();
            for (const userId of new Set([...this.#speakingNow(space.id), ...seen]))
              this.#send(client, { v: 1, type: 'speaking', spaceId: space.id, userId, speaking: true });
          }
          return;
        }
        case 'unsubscribe':
          if (client.spaces.delete(msg.spaceId)) this.#leave(this.#spaces, msg.spaceId, client);
          return this.#send(client, { v: 1, type: 'unsubscribed', spaceId: msg.spaceId });
        case 'ping':
          return this.#send(client, { v: 1, type: 'pong', id: msg.id ?? null });
      }
    } catch (err) {
      if (isRostraError(err)) return this.#error(client, err.code, err.message);
      log.error({ err }, 'event message failed');
      return this.#error(client, 'internal', 'Something went wrong on our side.');
    }
  }

  #join(map: Map<string, Channel>, key: string, client: Client): void {
    let channel = map.get(key);
    if (!channel) {
      const name = map === this.#spaces ? channels.space(key) : channels.user(key);
      const created: Channel = {
        sockets: new Set(),
        lastCount: undefined,
        speaking: new Set(),
        unsubscribe: Promise.resolve(async () => {}),
      };
      created.unsubscribe = this.#plane.ctx.bus.subscribe(
        name,
        (msg) => void this.#deliver(created, key, msg as unknown as BusEnvelope),
      );
      created.unsubscribe.catch((err: unknown) => log.error({ err, channel: name }, 'could not subscribe'));
      map.set(key, created);
      channel = created;
    }
    channel.sockets.add(client);
  }

  #leave(map: Map<string, Channel>, key: string, client: Client): void {
    const channel = map.get(key);
    if (!channel) return;
    channel.sockets.delete(client);
    if (channel.sockets.size > 0) return;
    map.delete(key);
    channel.unsubscribe.then((u) => u()).catch((err: unknown) => log.warn({ err }, 'could not unsubscribe'));
  }

  #drop(client: Client): void {
    if (!this.#clients.delete(client)) return;
    for (const spaceId of client.spaces) this.#leave(this.#spaces, spaceId, client);
    client.spaces.clear();
    if (client.userId !== null) this.#leave(this.#users, client.userId, client);
    this.#metrics.wsConnections.set(this.#clients.size);
  }

  async #deliver(channel: Channel, key: string, envelope: BusEnvelope): Promise<void> {
    const event = envelope.event;
    if (!event || typeof event.type !== 'string') return;
    let allowed: Set<string> | undefined;
    if (envelope.audience === 'moderators') {
      const view = await this.#plane.spaces.view(key);
      allowed = new Set(view.stage.filter((m) => m.role !== 'speaker').map((m) => m.id));
    }
    if (event.type === 'stage.changed' || event.type === 'space.state') this.#plane.spaces.invalidate(key);
    if (event.type === 'speaking') {
      if (event.speaking) channel.speaking.add(event.userId);
      else channel.speaking.delete(event.userId);
    } else if (event.type === 'stage.changed') {
      const onStage = new Set(event.stage.map((m) => m.id));
      for (const id of channel.speaking) if (!onStage.has(id)) channel.speaking.delete(id);
    } else if (event.type === 'space.state') channel.speaking.clear();
    const wire = encode(event);
    let sent = 0;
    for (const client of channel.sockets) {
      // A user removed from a space stops receiving it at once, on every socket of theirs.
      if (event.type === 'removed' && client.userId === key && client.spaces.delete(event.spaceId))
        this.#leave(this.#spaces, event.spaceId, client);
      if (allowed && (client.userId === null || !allowed.has(client.userId))) continue;
      if (this.#write(client, event, wire)) sent++;
    }
    if (sent > 0) this.#metrics.wsMessages.inc({ direction: 'out', outcome: 'ok' }, sent);
  }

  #send(client: Client, event: ServerEvent): void {
    if (this.#write(client, event, encode(event)))
      this.#metrics.wsMessages.inc({ direction: 'out', outcome: 'ok' });
  }

  /**
   * Writes an event's bytes to one socket, unless the socket is too slow for it; returns whether it went
   * out. A fan-out encodes the event once for all its recipients and counts what it sent itself.
   */
  #write(client: Client, event: ServerEvent, wire: Buffer): boolean {
    const buffered = client.socket.bufferedAmount;
    if (buffered > HARD_BUFFER) {
      this.#metrics.wsMessages.inc({ direction: 'out', outcome: 'closed_slow' });
      client.socket.close(1013, 'too slow');
      return false;
    }
    if (buffered > SOFT_BUFFER && DROPPABLE.has(event.type)) {
      this.#metrics.wsMessages.inc({ direction: 'out', outcome: 'dropped_slow' });
      return false;
    }
    if (client.socket.readyState !== client.socket.OPEN) return false;
    // A Buffer goes out as it is (ws frames it without a copy); `binary: false` keeps it a text frame.
    client.socket.send(wire, { binary: false });
    return true;
  }

  #error(client: Client, code: string, message: string): void {
    this.#metrics.wsMessages.inc({ direction: 'in', outcome: code });
    this.#send(client, { v: 1, type: 'error', code, message });
  }

  #pushCounts(): void {
    for (const [spaceId, channel] of this.#spaces) {
      this.#plane.audience
        .count(spaceId)
        .then((listeners) => {
          if (listeners === channel.lastCount) return;
          channel.lastCount = listeners;
          const event: ServerEvent = { v: 1, type: 'count', spaceId, listeners };
          const wire = encode(event);
          let sent = 0;
          for (const client of channel.sockets) if (this.#write(client, event, wire)) sent++;
          if (sent > 0) this.#metrics.wsMessages.inc({ direction: 'out', outcome: 'ok' }, sent);
        })
        .catch((err: unknown) => log.warn({ err, spaceId }, 'could not count listeners'));
    }
    this.#metrics.nodeListeners.set(this.#plane.audience.nodeCount());
  }

  #pingAll(): void {
    for (const client of this.#clients) {
      if (!client.alive) {
        client.socket.terminate();
        continue;
      }
      client.alive = false;
      client.socket.ping();
    }
  }
}

/** An event's bytes on the wire: serialised once per event, whatever the number of recipients. */
function encode(event: ServerEvent): Buffer {
  return Buffer.from(JSON.stringify(event));
}
