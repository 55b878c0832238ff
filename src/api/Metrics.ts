/** Prometheus metrics for one node, in its own registry (several servers may share a process in tests). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export class Metrics {
  readonly registry = new Registry();
  readonly httpRequests = new Counter({
    name: 'rostra_http_requests_total',
    help: 'HTTP requests by route pattern, method and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [this.registry],
  });
  readonly httpDuration = new Histogram({
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

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'rostra_' });
  }
}
