/**
 * Which node runs a live space's media (stage, mixer, packager, recorder): the holder of the space's lease
 * in the Bus. A node takes the lease before it creates a space's media, renews it while the media runs,
 * and releases it when the media ends. A node that cannot renew in time gives the space up (`onLost`)
 * before the lease can run out in the Bus, so two nodes never run one space's media at once.
 * With the in-memory Bus (one node) every lease is taken at once: nothing changes for a single node.
 */
import { randomBytes } from 'node:crypto';
import type { Leases } from '../bus/Bus.js';
import { logger } from '../log/Logger.js';

const log = logger('media.ownership');

export interface MediaOwnershipOptions {
  readonly leases: Leases;
  /** Lease length (config `cluster.leaseMs`). */
  readonly leaseMs: number;
  /** How the other nodes reach this one; may be set later, once the port is known (`setInternalUrl`). */
  readonly internalUrl?: string;
  /** The node lost a space it owned (it could not renew in time, or another node holds the lease now). */
  readonly onLost: (spaceId: string) => void;
}

/** The node that owns a space's media, as its lease says. */
export interface MediaOwner {
  readonly nodeId: string;
  /** Its internal URL, without a trailing slash. */
  readonly url: string;
  readonly self: boolean;
}

interface Held {
  renewTimer: NodeJS.Timeout;
  deadlineTimer: NodeJS.Timeout;
}

/** Renew four times per lease: one or two failed renewals do not lose the space. */
const RENEWALS_PER_LEASE = 4;
/** Stop acting at 80 % of the lease: a margin for clock rates and a late timer. */
const VALID_FRACTION = 0.8;
/** Another node's ownership is re-read this often at most (a failed proxy forgets it at once). */
const OWNER_CACHE_MS = 1000;

export class MediaOwnership {
  /** Unique per process: a restarted node is a new holder, and waits for its old lease like any other. */
  readonly nodeId = randomBytes(6).toString('hex');
  readonly #opts: MediaOwnershipOptions;
  readonly #held = new Map<string, Held>();
  readonly #owners = new Map<string, { owner: MediaOwner | null; at: number }>();
  #url: string | undefined;
  #closed = false;

  constructor(opts: MediaOwnershipOptions) {
    if (!(opts.leaseMs >= 100)) throw new TypeError('leaseMs must be at least 100');
    this.#opts = opts;
    if (opts.internalUrl !== undefined) this.setInternalUrl(opts.internalUrl);
  }

  static key(spaceId: string): string {
    return `media:${spaceId}`;
  }

  get internalUrl(): string | undefined {
    return this.#url;
  }

  setInternalUrl(url: string): void {
    this.#url = url.replace(/\/+$/, '');
  }

  get #holder(): string {
    if (this.#url === undefined) throw new TypeError('MediaOwnership: the internal URL is not set yet');
    return JSON.stringify({ n: this.nodeId, u: this.#url });
  }

  /** Whether this node holds the space's lease now (taken and renewed in time). */
  owns(spaceId: string): boolean {
    return this.#held.has(spaceId);
  }

  /** Takes the space's lease (or keeps it); true if this node may run the space's media now. */
  async acquire(spaceId: string): Promise<boolean> {
    if (this.#closed) return false;
    const started = Date.now();
    if (!(await this.#opts.leases.acquire(MediaOwnership.key(spaceId), this.#holder, this.#opts.leaseMs))) {
      this.#owners.delete(spaceId);
      return false;
    }
    if (this.#closed) {
      await this.#opts.leases.release(MediaOwnership.key(spaceId), this.#holder);
      return false;
    }
    this.#track(spaceId, started);
    this.#owners.set(spaceId, { owner: this.#self(), at: Date.now() });
    return true;
  }

  /** Who owns the space's media now, or null if nobody does (cached for another node, briefly). */
  async owner(spaceId: string): Promise<MediaOwner | null> {
    if (this.#held.has(spaceId)) return this.#self();
    const now = Date.now();
    const cached = this.#owners.get(spaceId);
    if (cached && now - cached.at < OWNER_CACHE_MS && !cached.owner?.self) return cached.owner;
    const raw = await this.#opts.leases.holder(MediaOwnership.key(spaceId));
    const owner = raw === null ? null : this.#parse(raw);
    this.#owners.set(spaceId, { owner, at: now });
    if (this.#owners.size > 10_000) this.#owners.clear(); // spaces come and go: never grow without end
    return owner;
  }

  /** Forgets what is known of another node's ownership (its answer failed: look again next time). */
  forget(spaceId: string): void {
    this.#owners.delete(spaceId);
  }

  /** Gives the space up: stops renewing and frees the lease for another node. */
  async release(spaceId: string): Promise<void> {
    if (!this.#untrack(spaceId)) return;
    try {
      await this.#opts.leases.release(MediaOwnership.key(spaceId), this.#holder);
    } catch (err) {
      log.warn({ err, spaceId }, 'could not release a lease; it runs out on its own');
    }
  }

  /** Idempotent: releases every lease held. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#held.keys()].map((id) => this.release(id)));
  }

  #self(): MediaOwner {
    return { nodeId: this.nodeId, url: this.#url ?? '', self: true };
  }

  #parse(raw: string): MediaOwner | null {
    try {
      const { n, u } = JSON.parse(raw) as { n?: unknown; u?: unknown };
      if (typeof n === 'string' && typeof u === 'string')
        return { nodeId: n, url: u, self: n === this.nodeId };
    } catch (err) {
      log.warn({ err }, 'a lease holds something that is not an owner');
    }
    return null;
  }

  #track(spaceId: string, startedAt: number): void {
    this.#untrack(spaceId);
    const { leaseMs } = this.#opts;
    const held: Held = {
      renewTimer: setInterval(() => void this.#renew(spaceId), leaseMs / RENEWALS_PER_LEASE),
      deadlineTimer: this.#deadline(spaceId, startedAt),
    };
    held.renewTimer.unref();
    this.#held.set(spaceId, held);
  }

  /** The moment this node must have stopped acting for the space unless a renewal succeeded before. */
  #deadline(spaceId: string, renewedAt: number): NodeJS.Timeout {
    const ms = renewedAt + this.#opts.leaseMs * VALID_FRACTION - Date.now();
    const timer = setTimeout(
      () => this.#lose(spaceId, 'the lease could not be renewed in time'),
      Math.max(0, ms),
    );
    timer.unref();
    return timer;
  }

  async #renew(spaceId: string): Promise<void> {
    const held = this.#held.get(spaceId);
    if (!held) return;
    const started = Date.now();
    let ok: boolean;
    try {
      ok = await this.#opts.leases.renew(MediaOwnership.key(spaceId), this.#holder, this.#opts.leaseMs);
    } catch (err) {
      log.warn({ err, spaceId }, 'lease renewal failed; retrying until the lease runs out');
      return;
    }
    if (this.#held.get(spaceId) !== held) return; // released or lost meanwhile
    if (!ok) {
      this.#lose(spaceId, 'another node holds the lease');
      return;
    }
    clearTimeout(held.deadlineTimer);
    held.deadlineTimer = this.#deadline(spaceId, started);
  }

  #lose(spaceId: string, why: string): void {
    if (!this.#untrack(spaceId)) return;
    log.warn({ spaceId, why }, 'lost the media of a space; another node takes it over');
    this.#opts.onLost(spaceId);
  }

  #untrack(spaceId: string): boolean {
    const held = this.#held.get(spaceId);
    if (!held) return false;
    clearInterval(held.renewTimer);
    clearTimeout(held.deadlineTimer);
    this.#held.delete(spaceId);
    this.#owners.delete(spaceId);
    return true;
  }
}
