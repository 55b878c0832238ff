/** Prometheus metrics for one node, in its own registry (several servers may share a process in tests). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { LabelledHistogram } from './LabelledHistogram.js';

/** What the guard shows at scrape time (read from `Guard`, kept as plain numbers so metrics need no guard import). */
export interface GuardSnapshot {
  pressureLevel: number;
  open: { connections: number; websockets: number; held: number; lane: number; newcomers: number };
  shed: Record<string, number>;
}

export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({
    name: 'rostra_http_requests_total',
    help: 'HTTP requests by route pattern, method and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
    collect: () => {
      for (const pending of this.#requests.values()) {
        if (pending.n === 0) continue;
        this.httpRequests.inc(pending.labels, pending.n);
        pending.n = 0;
      }
    },
  });
  /**
   * Requests counted since the last scrape, by method, status and route: a Map increment per request,
   * added to `httpRequests` when it is read (prom-client hashes the labels on every `inc`).
   */
  readonly #requests = new Map<
    string,
    { readonly labels: { method: string; route: string; status: string }; n: number }
  >();

  /** Counts one answered request in `rostra_http_requests_total` (cheaply: see `#requests`). */
  countRequest(method: string, route: string, status: number): void {
    const key = `${method} ${status} ${route}`;
    const pending = this.#requests.get(key);
    if (pending) pending.n++;
    else this.#requests.set(key, { labels: { method, route, status: String(status) }, n: 1 });
  }
  /** One answered request's duration, per request: a LabelledHistogram (prom-client's own costs ~3 µs). */
  observeDuration(route: string, seconds: number): void {
    this.httpDuration.observe({ route }, seconds);
  }
  readonly httpDuration = new LabelledHistogram({
    name: 'rostra_http_request_duration_seconds',
    help: 'HTTP request duration by route pattern',
    labelNames: ['route'] as const,
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly errors = new Counter({
    name: 'rostra_errors_total',
    help: 'Coded errors answered, by code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  readonly joins = new Counter({
    name: 'rostra_listener_joins_total',
    help: 'Listener join attempts by outcome (admitted, or the refusal reason)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly heartbeats = new Counter({
    name: 'rostra_listener_heartbeats_total',
    help: 'Presence heartbeats accepted',
    registers: [this.registry],
  });
  readonly nodeListeners = new Gauge({
    name: 'rostra_node_listeners',
    help: 'Listeners admitted through this node and still counted',
    registers: [this.registry],
  });
  readonly wsConnections = new Gauge({
    name: 'rostra_ws_connections',
    help: 'Open WebSocket event streams',
    registers: [this.registry],
  });
  readonly wsMessages = new Counter({
    name: 'rostra_ws_messages_total',
    help: 'WebSocket messages by direction and outcome',
    labelNames: ['direction', 'outcome'] as const,
    registers: [this.registry],
  });

  // --- Live media: what `rostra loadtest` reports, as the origin sees it (docs/capacity.md).
  readonly spaceListeners = new Gauge({
    name: 'rostra_space_listeners',
    help: 'Listeners counted in each live space whose media runs on this node (read at scrape time)',
    labelNames: ['space'] as const,
    registers: [this.registry],
    collect: async () => {
      this.spaceListeners.reset();
      // A Bus outage must not take /metrics down with it: the gauge is then left empty.
      const counts = await this.#listenerSource().catch(() => []);
      for (const [space, n] of counts) this.spaceListeners.set({ space }, n);
    },
  });
  readonly partDelay = new Histogram({
    name: 'rostra_hls_part_delay_seconds',
    help: "Part delivery delay at the origin: part sent - part published (its last sample's media time)",
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
    registers: [this.registry],
  });
  readonly packagingLag = new Histogram({
    name: 'rostra_hls_packaging_lag_seconds',
    help: "Part cut - its last sample's media time: how far the packager runs behind its own clock",
    buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [this.registry],
  });
  readonly lateParts = new Counter({
    name: 'rostra_hls_late_parts_total',
    help: 'Parts cut more than one part target late: every listener of the space stalls on them',
    registers: [this.registry],
  });
  readonly outOfWindow = new Counter({
    name: 'rostra_hls_out_of_window_total',
    help: 'Requests for a part or segment that has left the live window (a listener fell behind: a stall)',
    registers: [this.registry],
  });
  readonly heldRequests = new Gauge({
    name: 'rostra_hls_held_requests',
    help: 'Blocking reloads and preload-hint requests waiting for their part',
    registers: [this.registry],
  });
  /** Observed per held request (api/routes/live.ts): a LabelledHistogram for the same reason. */
  readonly heldSeconds = new LabelledHistogram({
    name: 'rostra_hls_held_seconds',
    help: 'How long blocking reloads and preload-hint requests waited, by outcome',
    labelNames: ['outcome'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5],
    registers: [this.registry],
  });

  readonly guardPressure = new Gauge({
    name: 'rostra_guard_pressure_level',
    help: 'The shedding level in force: 0 none, 1 anonymous newcomers wait in line, 2 new joins refused',
    registers: [this.registry],
    collect: () => {
      const g = this.#guardSource?.();
      if (g) this.guardPressure.set(g.pressureLevel);
    },
  });
  readonly guardOpen = new Gauge({
    name: 'rostra_guard_open',
    help: 'What the guard caps, open now: connections, websockets, held (blocking reloads), lane (connections not read: the junk lane), newcomers (new connections’ first requests and upgrades waiting their turn)',
    labelNames: ['kind'] as const,
    registers: [this.registry],
    collect: () => {
      const g = this.#guardSource?.();
      if (!g) return;
      for (const kind of ['connections', 'websockets', 'held', 'lane', 'newcomers'] as const)
        this.guardOpen.set({ kind }, g.open[kind]);
    },
  });
  readonly guardShed = new Gauge({
    name: 'rostra_guard_shed',
    help: 'New joins and sign-ups shed by pressure since the node started, by who was shed',
    labelNames: ['who'] as const,
    registers: [this.registry],
    collect: () => {
      const g = this.#guardSource?.();
      if (!g) return;
      for (const [who, n] of Object.entries(g.shed)) this.guardShed.set({ who }, n);
    },
  });

  #listenerSource: () => Promise<Iterable<[string, number]>> = () => Promise.resolve([]);
  #guardSource: (() => GuardSnapshot) | undefined;

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'rostra_' });
  }

  /** Where `rostra_space_listeners` reads its counts from, at scrape time. */
  countListenersWith(source: () => Promise<Iterable<[string, number]>>): void {
    this.#listenerSource = source;
  }

  /** Where the `rostra_guard_*` gauges read the guard's state, at scrape time. */
  observeGuard(source: () => GuardSnapshot): void {
    this.#guardSource = source;
  }
}
