/**
 * A bounded LL-HLS load test: N simulated listeners joined over `rampS` seconds, playing for
 * `durationS`, over one shared keep-alive pool. It only talks to the host of the URL it is given, and it
 * stops by itself.
 */
import { ListenError, LiveListener } from '../listener/index.js';
import { HttpPool } from './HttpPool.js';
import { SimListener, type ListenerTarget, type Tally } from './SimListener.js';
import { Counter, DelayHistogram } from './Stats.js';

export interface LoadTestOptions {
  /** A space page (`…/s/<id>`) or playlist (`…/live/<id>/…`) URL. */
  url: string;
  /** Default 100; at most MAX_LISTENERS. */
  listeners?: number;
  /** Seconds over which listeners join; 0 = a burst within 1 s. Default 0. */
  rampS?: number;
  /** Seconds of play after the ramp starts. Default 20; at most MAX_DURATION_S. */
  durationS?: number;
  /**
   * Sample listeners that also decode the audio (src/listener), on top of `listeners`: what the crowd
   * hears, checked. Default 2; at most MAX_DECODERS.
   */
  decoders?: number;
  /** Called once a second with the running figures (the CLI prints a progress line). */
  onProgress?: (p: LoadTestProgress) => void;
}

export const MAX_LISTENERS = 50_000;
export const MAX_DURATION_S = 600;
export const MAX_DECODERS = 10;

/** What one decoding sample listener heard. */
export interface DecodedSample {
  /** Dominant frequencies, loudest first (Hz). */
  frequencies: number[];
  levelDbfs: number | null;
  audioSeconds: number;
  stalls: number;
  /** Set when it could not listen (e.g. refused): the error's code. */
  error?: string;
}

export interface LoadTestProgress {
  elapsedS: number;
  connected: number;
  requestsPerSecond: number;
  errors: number;
  stalls: number;
}

export interface LoadTestReport {
  url: string;
  listenersTarget: number;
  listenersConnected: number;
  durationS: number;
  joinsPerSecond: number;
  /** Part delivery delay: body fully received − part published (segment PDT + part offset + duration). */
  partDelayMs: { count: number; p50: number; p95: number; p99: number; max: number };
  stalls: number;
  /** Stalls per delivered part. */
  stallRate: number;
  requests: number;
  requestsPerSecond: number;
  bytesPerSecondPerListener: number;
  errors: Record<string, number>;
  refused: Record<string, number>;
  /** Generator CPU over the run, in cores (1 = one core busy). */
  generatorCpuCores: number;
  /** The decoding sample listeners, one entry each. */
  decoded: DecodedSample[];
}

export function resolveTarget(url: string): { host: string; port: number; target: ListenerTarget } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new TypeError(`not a URL: ${url}`);
  }
  if (u.protocol !== 'http:') throw new TypeError('only http:// URLs are supported');
  const m = /\/(?:live|s)\/([A-Za-z0-9_-]+)/.exec(u.pathname);
  if (!m?.[1]) throw new TypeError(`no space id in ${url} (want …/s/<id> or …/live/<id>/…)`);
  const spaceId = m[1];
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: Number(u.port || 80),
    target: { spaceId, liveDir: `/live/${spaceId}/` },
  };
}

export async function runLoadTest(opts: LoadTestOptions): Promise<LoadTestReport> {
  const listeners = opts.listeners ?? 100;
  const rampS = opts.rampS ?? 0;
  const durationS = opts.durationS ?? 20;
  const decoders = opts.decoders ?? 2;
  if (!Number.isInteger(decoders) || decoders < 0 || decoders > MAX_DECODERS)
    throw new TypeError(`decoders must be 0..${MAX_DECODERS}`);
  if (!Number.isInteger(listeners) || listeners < 1 || listeners > MAX_LISTENERS)
    throw new TypeError(`listeners must be 1..${MAX_LISTENERS}`);
  if (!(durationS > 0 && durationS <= MAX_DURATION_S))
    throw new TypeError(`duration must be 0..${MAX_DURATION_S} s`);
  if (!(rampS >= 0 && rampS < durationS))
    throw new TypeError('ramp must be ≥ 0 and shorter than the duration');
  const { host, port, target } = resolveTarget(opts.url);
  const pool = new HttpPool({ host, port });
  const tally: Tally = {
    delay: new DelayHistogram(),
    errors: new Counter(),
    refused: new Counter(),
    connected: 0,
    stalls: 0,
    parts: 0,
    firstJoinMs: 0,
    lastJoinMs: 0,
  };
  const now = () => performance.now();
  const start = now();
  const deadline = start + durationS * 1000;
  const cpu0 = process.cpuUsage();
  const spreadMs = Math.max(rampS * 1000, 1000);
  const runs: Promise<void>[] = [];
  // Decoders join with the first listeners and play to the end; they use their own connections.
  const samples = Array.from({ length: decoders }, () => sample(opts.url, durationS));
  let started = 0;
  let lastRequests = 0;
  let tick = 0;
  // One timer starts everyone on schedule (10 ms grain) and reports progress once a second.
  const timer = setInterval(() => {
    const t = now() - start;
    while (started < listeners && (started / listeners) * spreadMs <= t) {
      runs.push(new SimListener(pool, target, tally, deadline, now).run());
      started++;
    }
    if (++tick % 100 === 0) {
      opts.onProgress?.({
        elapsedS: Math.round(t / 1000),
        connected: tally.connected,
        requestsPerSecond: pool.requests - lastRequests,
        errors: tally.errors.total,
        stalls: tally.stalls,
      });
      lastRequests = pool.requests;
    }
  }, 10);
  await new Promise((r) => setTimeout(r, durationS * 1000));
  clearInterval(timer);
  pool.close();
  await Promise.all(runs);
  const decoded = await Promise.all(samples);
  const elapsedS = (now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const joinWindowS = Math.max((tally.lastJoinMs - tally.firstJoinMs) / 1000, 1);
  const round = (n: number) => (Number.isFinite(n) ? Math.round(n) : 0);
  return {
    url: opts.url,
    listenersTarget: listeners,
    listenersConnected: tally.connected,
    durationS: Math.round(elapsedS * 10) / 10,
    joinsPerSecond: Math.round(tally.connected / joinWindowS),
    partDelayMs: {
      count: tally.delay.count,
      p50: round(tally.delay.percentile(0.5)),
      p95: round(tally.delay.percentile(0.95)),
      p99: round(tally.delay.percentile(0.99)),
      max: round(tally.delay.max),
    },
    stalls: tally.stalls,
    stallRate: tally.parts > 0 ? tally.stalls / tally.parts : 0,
    requests: pool.requests,
    requestsPerSecond: Math.round(pool.requests / elapsedS),
    bytesPerSecondPerListener: tally.connected > 0 ? Math.round(pool.bytes / elapsedS / tally.connected) : 0,
    errors: tally.errors.toJSON(),
    refused: tally.refused.toJSON(),
    generatorCpuCores: Math.round(((cpu.user + cpu.system) / 1e6 / elapsedS) * 100) / 100,
    decoded,
  };
}

async function sample(url: string, seconds: number): Promise<DecodedSample> {
  try {
    const r = await new LiveListener({ url, seconds }).run();
    const { frequencies, levelDbfs, audioSeconds, stalls } = r;
    return { frequencies, levelDbfs, audioSeconds: Math.round(audioSeconds * 10) / 10, stalls };
  } catch (err) {
    const code =
      err instanceof ListenError
        ? (err.info.code ?? (err.info.status ? `http_${err.info.status}` : 'error'))
        : ((err as NodeJS.ErrnoException).code ?? 'error');
    return { frequencies: [], levelDbfs: null, audioSeconds: 0, stalls: 0, error: code };
  }
}
