/**
 * The guard plane: one object every entry point consults (HTTP routes through `installHttpGuard`, the
 * media path through the ticket check, WHIP, and the WebSocket hub). It owns the rate limits (counted in
 * the Bus), the sign-in limits, bounded password hashing, measured pressure and the fair line, the caps
 * on things held open, and the revocations of removed users. Its limits come from `config.guard`.
 */
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Bus } from '../bus/Bus.js';
import type { Config } from '../config/Config.js';
import { RostraError } from '../errors/index.js';
import { AdmissionQueue } from './AdmissionQueue.js';
import { ClientAddress, prefixOf } from './ClientAddress.js';
import { JunkLane } from './JunkLane.js';
import { NewcomerLine } from './NewcomerLine.js';
import { JunkMeter, Occupancy } from './Occupancy.js';
import { FixedPressureSource, Pressure, ProcessPressureSource, type PressureSource } from './Pressure.js';
import { RateLimiter, type RateRule } from './RateLimiter.js';
import { Revocations } from './Revocations.js';
import { SignInGuard } from './SignInGuard.js';
import { reservedSlots, WorkLimiter } from './WorkLimiter.js';

export type GuardConfig = Config['guard'];

const SECOND = 1000;
const MINUTE = 60 * SECOND;

/** The named limits, built once from the config. */
export function guardRules(g: GuardConfig) {
  const rule = (name: string, limit: number, windowMs: number, scope: RateRule['scope']): RateRule => ({
    name,
    limit,
    windowMs,
    scope,
  });
  return {
    joinIp: rule('join-ip', g.joinsPerIp, 10 * SECOND, 'address'),
    joinNet: rule('join-net', g.joinsPerPrefix, 10 * SECOND, 'network'),
    joinAccount: rule('join-account', g.joinsPerAccount, 10 * SECOND, 'account'),
    signUpIp: rule('signup-ip', g.signUpsPerIp, 10 * MINUTE, 'address'),
    signUpNet: rule('signup-net', g.signUpsPerIp * 5, 10 * MINUTE, 'network'),
    whipIp: rule('whip-ip', g.whipPerIp, MINUTE, 'address'),
    whipAccount: rule('whip-account', g.whipPerAccount, MINUTE, 'account'),
    reactIp: rule('react-ip', g.reactionsPerIp, 10 * SECOND, 'address'),
    clipIp: rule('clip-ip', g.clipsPerIp, 10 * MINUTE, 'address'),
    clipAccount: rule('clip-account', g.clipsPerAccount, 10 * MINUTE, 'account'),
    wsIp: rule('ws-ip', g.wsConnectsPerIp, MINUTE, 'address'),
    wsNet: rule('ws-net', g.wsConnectsPerIp * 5, MINUTE, 'network'),
  } as const;
}

export interface GuardOptions {
  config: Config;
  bus: Bus;
  /** Default: the process (event-loop delay, heap, held requests). */
  pressureSource?: PressureSource;
}

export class Guard {
  readonly config: GuardConfig;
  readonly rules: ReturnType<typeof guardRules>;
  readonly address: ClientAddress;
  readonly limits: RateLimiter;
  readonly signIn: SignInGuard;
  readonly scrypt: WorkLimiter;
  readonly pressure: Pressure;
  readonly queue: AdmissionQueue;
  readonly revocations: Revocations;
  readonly connections: Occupancy;
  readonly websockets: Occupancy;
  readonly held: Occupancy;
  readonly junk: JunkMeter;
  readonly lane: JunkLane;
  readonly newcomers: NewcomerLine;
  /** Refusals by pressure, by who was refused (metrics, tests). */
  readonly shed = { anonymous: 0, signedIn: 0, signUp: 0 };
  #closed = false;

  constructor(opts: GuardOptions) {
    const g = opts.config.guard;
    this.config = g;
    this.rules = guardRules(g);
    this.address = new ClientAddress(opts.config.trustedProxies);
    this.limits = new RateLimiter(opts.bus.counters);
    // Slots kept for people signing in from a known device or a clean address (reservedSlots).
    this.scrypt = new WorkLimiter({
      concurrency: g.scryptConcurrency,
      queue: g.scryptQueue,
      reserved: reservedSlots(g.scryptConcurrency),
    });
    this.signIn = new SignInGuard(opts.bus.counters, g, opts.config.secret, this.scrypt);
    this.connections = new Occupancy(g.connectionsPerIp, g.connectionsPerNode);
    this.websockets = new Occupancy(g.websocketsPerIp, g.websocketsPerNode);
    this.held = new Occupancy(g.heldReloadsPerIp, g.heldReloadsPerNode);
    this.junk = new JunkMeter(g.junkPerIp);
    this.lane = new JunkLane(g.junkLanePerSecond);
    this.newcomers = new NewcomerLine(g.newcomersWaiting);
    this.pressure = new Pressure(
      opts.pressureSource ??
        (g.shedding ? new ProcessPressureSource(() => this.held.total) : new FixedPressureSource()),
      g,
    );
    this.queue = new AdmissionQueue(opts.config.secret, g.queueRatePerSecond);
    // A revocation must outlive every ticket issued before it.
    this.revocations = new Revocations(opts.bus, opts.config.timing.ticketTtlSeconds * 1000 + MINUTE);
  }

  async start(): Promise<void> {
    await this.revocations.start();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.pressure.close();
    this.lane.close();
    this.newcomers.close();
    await this.revocations.close();
  }

  /**
   * A refusal answered to `ip` for `req`: counted on the junk meter, and on its connection for the junk
   * lane. Not a proxy's connection: it carries many people's requests, and holding it would hold
   * listeners already in. A trusted proxy is known; a request with X-Forwarded-For from any other peer
   * may come through a proxy nobody declared (GuardHttp warns of it), so it is not held either (a flood
   * that adds the header still meets the junk meter and door, by its own address).
   */
  refused(ip: string, req: IncomingMessage, nowMs: number): void {
    this.junk.record(ip, nowMs);
    const socket = req.socket as Socket | null;
    if (!socket || req.headers['x-forwarded-for'] !== undefined) return;
    if (!this.address.isTrusted(socket.remoteAddress ?? '')) this.lane.junk(socket);
  }

  /** The rate limits of a join: per address, per network, per account. */
  async checkJoin(ip: string, userId: string | undefined): Promise<void> {
    const r = this.rules;
    await this.limits.take(
      [r.joinIp, ip],
      [r.joinNet, prefixOf(ip)],
      ...(userId !== undefined ? [[r.joinAccount, userId] as const] : []),
    );
  }

  /**
   * The ladder for a new join (not a listener already in): at level 1 anonymous newcomers go through the
   * fair line; at level 2 signed-in newcomers are refused too. Returns a pass to hand the client when it
   * must wait (the caller sets the cookie), by throwing 503 `space_unavailable` with its place.
   */
  admitNewJoin(opts: {
    spaceId: string;
    ip: string;
    signedIn: boolean;
    pass: string | undefined;
    nowMs: number;
  }): { kind: 'admit' } | { kind: 'wait'; pass: string; error: RostraError } {
    const level = this.pressure.level;
    if (level === 0) return { kind: 'admit' };
    if (opts.signedIn) {
      if (level < 2) return { kind: 'admit' };
      this.shed.signedIn++;
      throw new RostraError(
        'space_unavailable',
        'The server is overloaded right now; people already listening keep listening. Retrying shortly.',
        { retryAfter: 5, details: { reason: 'overloaded' } },
      );
    }
    if (this.queue.honours(opts.pass, opts.spaceId, opts.ip, opts.nowMs)) return { kind: 'admit' };
    this.shed.anonymous++;
    const answer = this.queue.enqueue(opts.spaceId, opts.ip, opts.nowMs);
    if (answer.kind === 'full') {
      throw new RostraError('space_unavailable', 'Too many people are joining right now. Retrying shortly.', {
        retryAfter: answer.retryAfterS,
        details: { reason: 'overloaded' },
      });
    }
    return {
      kind: 'wait',
      pass: answer.pass,
      error: new RostraError(
        'space_unavailable',
        `Many people are joining right now: you are number ${answer.position} in line.`,
        { retryAfter: answer.retryAfterS, details: { reason: 'queued', position: answer.position } },
      ),
    };
  }

  /** Sign-ups cost a password hash: the first thing after junk to go under pressure. */
  checkSignUpPressure(): void {
    if (this.pressure.level === 0) return;
    this.shed.signUp++;
    throw new RostraError('server_busy', 'Sign-ups are paused for a moment while the server is busy.', {
      retryAfter: 10,
      details: { reason: 'overloaded' },
    });
  }
}
