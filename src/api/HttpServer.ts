/**
 * The HTTP face of one node: JSON API, OpenAPI, health, metrics and the WebSocket upgrade. Every request
 * is validated against its route's schemas; every failure leaves as a coded error.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { ZodType } from 'zod';
import type { ControlPlane } from '../control/ControlPlane.js';
import type { Caller } from '../control/Context.js';
import { RostraError } from '../errors/index.js';
import { guardServerOptions, installHttpGuard, JunkDoor, NewcomerDoor } from '../guard/index.js';
import { logger } from '../log/Logger.js';
import { EventHub, EVENTS_PATH, type SpeakingNow } from './EventHub.js';
import { fromZod, toRostraError } from './HttpErrors.js';
import { landingPage } from './LandingPage.js';
import { hasWebBuild, registerWebApp, WEB_DIST } from './WebApp.js';
import { installCors, isCorsPath } from './Cors.js';
import { registerEmbed } from './EmbedPage.js';
import { linkPreview, type LinkPreview } from './LinkPreview.js';
import { MediaFastPath } from './MediaFastPath.js';
import { Metrics } from '../metrics/Metrics.js';
import { openApiDocument } from './OpenApi.js';
import type { RouteDef } from './Route.js';
import { responseDrift } from './ResponseCheck.js';
import { accountRoutes } from './routes/accounts.js';
import { audienceRoutes } from './routes/audience.js';
import { spaceRoutes } from './routes/spaces.js';
import { stageRoutes } from './routes/stage.js';
import { pinRoutes } from './routes/pins.js';
import { recentRoutes } from './routes/recent.js';
import { avatarRoutes } from './routes/avatars.js';
import type { LiveOrigin } from './routes/live.js';

const log = logger('api.http');

export interface HttpServerOptions {
  plane: ControlPlane;
  version: string;
  /** More routes (stage media, broadcast) from other planes. */
  extraRoutes?: RouteDef[];
  /** The built web app to serve; default web/dist when it exists; null serves the landing page instead. */
  webDist?: string | null;
  /** Who is speaking now in a space whose media runs on this node, for new event subscribers. */
  speakingNow?: SpeakingNow;
  /** The node's metrics, shared with the media plane; default a registry of its own. */
  metrics?: Metrics;
  /** Lets other planes add raw handlers (e.g. static files, HLS) before the server starts. */
  configure?: (app: FastifyInstance) => void | Promise<void>;
  /** Check every JSON response against its route's documented schema and answer 500 when it drifts (tests). */
  checkResponses?: boolean;
  /** The card of a shared clip link (/c/{clipId}); none without it. */
  clipPreview?: (clipId: string) => Promise<LinkPreview | undefined>;
  /**
   * The live media routes' common case without fastify (MediaFastPath): their answers, and whether a
   * space's media runs on this node (the owner proxy's rule). None without it: fastify answers all.
   */
  liveFastPath?: { origin: LiveOrigin; runsHere: (spaceId: string) => boolean };
}

export class HttpServer {
  readonly app: FastifyInstance;
  readonly metrics: Metrics;
  readonly events: EventHub;
  readonly routes: RouteDef[];
  /** Set when the node serves live media (opts.liveFastPath). */
  readonly mediaFastPath: MediaFastPath | undefined;
  readonly #plane: ControlPlane;
  readonly #checkResponses: boolean;
  readonly #clipPreview: HttpServerOptions['clipPreview'];
  #closed = false;

  private constructor(opts: HttpServerOptions) {
    this.#plane = opts.plane;
    this.#checkResponses = opts.checkResponses ?? false;
    this.#clipPreview = opts.clipPreview;
    this.metrics = opts.metrics ?? new Metrics();
    const { config } = opts.plane.ctx;
    this.app = Fastify({
      logger: false,
      bodyLimit: config.limits.bodyBytes,
      // Slow clients must not hold a connection forever (ladder step 1): the guard's deadlines.
      connectionTimeout: 30_000,
      ...guardServerOptions(config.guard),
      return503OnClosing: true,
      ...(config.trustedProxies.length > 0 ? { trustProxy: config.trustedProxies } : {}),
      routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
      // Errors raised before routing (bad URL, overlong parameter) get the same coded body as the rest.
      frameworkErrors: (err, _request, reply: FastifyReply) => {
        const coded = toRostraError(err);
        void reply.code(coded.status).header('cache-control', 'no-store').send(coded.toBody());
      },
    });
    this.events = new EventHub(opts.plane, this.metrics, opts.speakingNow);
    this.mediaFastPath = opts.liveFastPath
      ? new MediaFastPath({ ...opts.liveFastPath, guard: opts.plane.ctx.guard, metrics: this.metrics })
      : undefined;
    this.routes = [
      ...accountRoutes(opts.plane),
      ...spaceRoutes(opts.plane),
      ...audienceRoutes(opts.plane),
      ...stageRoutes(opts.plane),
      ...pinRoutes(opts.plane),
      ...recentRoutes(opts.plane),
      ...avatarRoutes(opts.plane),
      ...(opts.extraRoutes ?? []),
    ];
  }

  static async create(opts: HttpServerOptions): Promise<HttpServer> {
    const server = new HttpServer(opts);
    await server.#setup(opts);
    return server;
  }

  async listen(port: number, host: string): Promise<string> {
    return this.app.listen({ port, host });
  }

  /** The port actually bound (for port 0). */
  get port(): number {
    const addr = this.app.server.address();
    return typeof addr === 'object' && addr !== null ? addr.port : 0;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.events.close();
    await this.app.close();
  }

  async #setup(opts: HttpServerOptions): Promise<void> {
    const app = this.app;
    const metrics = this.metrics;

    app.setErrorHandler((err, request, reply) => {
      const coded = toRostraError(err);
      if (coded.code === 'internal')
        log.error({ err, url: request.url, method: request.method }, 'request failed');
      void send(reply, coded);
    });
    app.setNotFoundHandler((_request, reply) => void send(reply, new RostraError('route_not_found')));
    installCors(app); // first, so that even a refusal at the door is readable cross-origin
    installHttpGuard(app, this.#plane.ctx.guard);
    const send = (reply: FastifyReply, err: RostraError) => {
      metrics.errors.inc({ code: err.code });
      if (err.retryAfter !== undefined) void reply.header('retry-after', String(err.retryAfter));
      return reply.code(err.status).header('cache-control', 'no-store').send(err.toBody());
    };

    app.addHook('onResponse', async (request, reply) => {
      const routeUrl = request.routeOptions.url ?? 'unmatched';
      metrics.countRequest(request.method, routeUrl, reply.statusCode);
      metrics.observeDuration(routeUrl, reply.elapsedTime / 1000);
    });
    const junkDoor = new JunkDoor(this.#plane.ctx.guard, metrics, isCorsPath);
    const newcomers = new NewcomerDoor(this.#plane.ctx.guard, metrics, isCorsPath);
    const fast = this.mediaFastPath;
    this.#putInFront(
      [
        (req, res) => junkDoor.refuse(req, res),
        ...(fast ? [(req: IncomingMessage, res: ServerResponse) => fast.serve(req, res)] : []),
      ],
      (req, res, next) => newcomers.hold(req, res, next),
    );

    // WHIP offers arrive as application/sdp text; their own limit, far below the JSON one.
    app.addContentTypeParser(
      'application/sdp',
      { parseAs: 'string', bodyLimit: 16 * 1024 },
      (_request, body, done) => {
        done(null, body);
      },
    );

    // Images (avatars) arrive raw, up to their own limit: checked against Content-Length before any byte
    // is read, and counted while reading when there is none (chunked). Only routes that consume images
    // read them at all (#register); JSON keeps the node's limit everywhere.
    app.addContentTypeParser(
      [...IMAGE_TYPES],
      { parseAs: 'buffer', bodyLimit: this.#plane.ctx.config.limits.avatarBytes },
      (_request, body, done) => {
        done(null, body);
      },
    );

    app.get('/healthz', async () => ({ status: 'ok' }));
    const webDist = opts.webDist === undefined ? WEB_DIST : opts.webDist;
    if (webDist !== null && hasWebBuild(webDist))
      await registerWebApp(app, webDist, (id, page) => this.#linkPreview(id, page));
    else {
      app.get('/', async (_request, reply) => {
        const { spaces } = await this.#plane.spaces.list('live', 20, undefined);
        return reply
          .type('text/html; charset=utf-8')
          .header('cache-control', 'public, max-age=5')
          .send(landingPage(spaces, opts.version));
      });
    }
    registerEmbed(app, this.#plane);
    app.get('/metrics', async (_request, reply) => {
      void reply.header('content-type', metrics.registry.contentType);
      return metrics.registry.metrics();
    });
    const document = openApiDocument(this.routes, {
      version: opts.version,
      serverUrl: this.#plane.ctx.config.publicUrl,
    });
    app.get('/openapi.json', async (_request, reply) => {
      void reply.header('cache-control', 'public, max-age=300');
      return document;
    });

    for (const def of this.routes) this.#register(def);

    app.server.on('upgrade', (req, socket, head) => {
      const path = (req.url ?? '').split('?')[0];
      if (path === EVENTS_PATH) this.events.handleUpgrade(req, socket, head);
      else socket.destroy();
    });

    await opts.configure?.(app);
  }

  /**
   * Answers on node:http in front of fastify, for what is hot and simple: the guard's junk door (a
   * blocked address), then the live media fast path. Each takes a request (true) or leaves it untouched.
   * What none takes goes to fastify's own handler, after the newcomer line when its connection is new
   * (`hold` takes it and calls `next` in its turn). (Fastify binds any extra address of a `localhost`
   * listen to its handler alone: those get fastify only.) From closing on, fastify answers everything
   * (its drain's 503s).
   */
  #putInFront(
    fronts: ((req: IncomingMessage, res: ServerResponse) => boolean)[],
    hold: (req: IncomingMessage, res: ServerResponse, next: RequestListener) => boolean,
  ): void {
    const server = this.app.server;
    const handlers = server.listeners('request') as RequestListener[];
    server.removeAllListeners('request');
    let closing = false;
    const toFastify = (req: IncomingMessage, res: ServerResponse): void => {
      for (const handler of handlers) handler(req, res);
    };
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      if (!closing) {
        for (const front of fronts) if (front(req, res)) return;
        if (hold(req, res, toFastify)) return;
      }
      toFastify(req, res);
    });
    this.app.addHook('preClose', async () => {
      closing = true;
    });
  }

  /** The card of a shared link to a space or its replay; none for an unknown id (the app says so). */
  async #linkPreview(id: string, page: 'space' | 'replay' | 'clip'): Promise<LinkPreview | undefined> {
    try {
      if (page === 'clip') return await this.#clipPreview?.(id);
      return linkPreview(await this.#plane.spaces.view(id), page, this.#plane.ctx.config.publicUrl);
    } catch (err) {
      if (err instanceof RostraError && err.status < 500) return undefined;
      throw err;
    }
  }

  #register(def: RouteDef): void {
    this.app.route({
      method: def.method,
      url: def.url,
      ...(def.consumes?.some((t) => IMAGE_TYPES.has(t)) ? {} : { preParsing: refuseImages }),
      handler: async (request: FastifyRequest, reply: FastifyReply) => {
        const caller = def.auth === 'none' ? undefined : await this.#caller(request, def.auth === 'required');
        const params = def.fastParse?.params?.(request.params) ?? parse(def.params, request.params, 'path');
        const query = def.fastParse?.query?.(request.query) ?? parse(def.query, request.query, 'query');
        const body = parse(def.body, request.body, 'body');
        const result = await def.handler({ params, query, body, caller, ip: request.ip, request, reply });
        if (reply.sent) return reply;
        if (!reply.hasHeader('cache-control')) void reply.header('cache-control', 'no-store');
        if (this.#checkResponses && def.response.schema && reply.statusCode < 300) {
          const drift = responseDrift(def.response.schema, result);
          if (drift.length > 0) {
            throw new RostraError('internal', `${def.operationId} leaves its schema: ${drift.join('; ')}`);
          }
        }
        void reply.code(def.response.status);
        return def.response.status === 204 ? reply.send() : reply.send(result);
      },
    });
  }

  async #caller(request: FastifyRequest, required: boolean): Promise<Caller> {
    const header = request.headers.authorization;
    if (header === undefined) {
      if (required) throw new RostraError('unauthenticated');
      return undefined;
    }
    const match = /^Bearer ([A-Za-z0-9_.-]{1,1024})$/.exec(header);
    if (!match) throw new RostraError('invalid_token', 'The Authorization header must be "Bearer <token>".');
    const session = await this.#plane.ctx.sessions.verify(match[1], this.#plane.ctx.clock.now());
    // A bad token is refused even where anonymity is allowed: silently treating it as anonymous would hide
    // a signed-out session from its owner.
    if (!session) throw new RostraError('invalid_token');
    return { userId: session.userId, sessionId: session.sessionId };
  }
}

const IMAGE_TYPES: ReadonlySet<string> = new Set(['image/png', 'image/jpeg', 'image/webp']);

/** A route that takes no image refuses one before reading it (images may be far larger than JSON). */
async function refuseImages(request: FastifyRequest): Promise<void> {
  const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (IMAGE_TYPES.has(type)) throw new RostraError('unsupported_media_type');
}

function parse<T>(schema: ZodType<T> | undefined, value: unknown, where: string): T {
  if (!schema) return undefined as T;
  const result = schema.safeParse(value);
  if (!result.success) throw fromZod(result.error, where);
  return result.data;
}
