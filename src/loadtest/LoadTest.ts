/**
 * A bounded LL-HLS load test: N simulated listeners joined over `rampS` seconds, playing for
 * `durationS`, over one shared keep-alive pool. It only talks to the host of the URL it is given, and it
 * stops by itself.
 */
import {
  ListenError,
  LiveListener,
  parseListenTarget,
  SILENCE_LIMIT_S,
  type ListenTarget,
} from '../listener/index.js';
import { HttpPool } from './HttpPool.js';
import { newTally, SimListener, type ListenerTarget } from './SimListener.js';

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
  /**
   * The decoding listeners expect sound (default true): digital silence for SILENCE_LIMIT_S or longer,
   * or no audio at all, fails the run (a listener on a node that has no media for the space hears that).
   */
  expectSound?: boolean;
  /** Called once a second with the running figures (the CLI prints a progress line). */
  onProgress?: (p: LoadTestProgress) => void;
  /** Called with every measured part's delivery delay and its publish time (wall clock, ms). */
  onPartDelay?: (delayMs: number, publishedMs: number) => void;
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
  /** Seconds of that audio that were digital silence, and the longest unbroken stretch of it. */
  silentSeconds: number;
  longestSilenceSeconds: number;
  stalls: number;
  /** Wall time its playback stood still, seconds. */
  stalledSeconds: number;
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
  /** Why the run is not clean, one line each; empty when it is. */
  failures: string[];
}

/** What makes a run fail: any stall or error, and a decoding listener that could not listen, stalled, or
 * (when sound is expected) heard digital silence or nothing. */
export function failuresOf(
  r: Pick<LoadTestReport, 'stalls' | 'errors' | 'decoded'>,
  expectSound: boolean,
): string[] {
  const out: string[] = [];
  if (r.stalls > 0) out.push(`${r.stalls} stalls among the simulated listeners`);
  const errors = Object.values(r.errors).reduce((a, b) => a + b, 0);
  if (errors > 0) out.push(`${errors} errors`);
  r.decoded.forEach((d, i) => {
    const who = `decoding listener ${i + 1}`;
    if (d.error !== undefined) return out.push(`${who} could not listen: ${d.error}`);
    if (d.stalls > 0) out.push(`${who} stalled ${d.stalls} times (${d.stalledSeconds} s)`);
    if (!expectSound) return;
    if (d.audioSeconds === 0) out.push(`${who} received no audio`);
    else if (d.longestSilenceSeconds >= SILENCE_LIMIT_S)
      out.push(`${who} heard ${d.longestSilenceSeconds} s of digital silence (${d.silentSeconds} s in all)`);
  });
  return out;
}

/** The host to load and the space, from a live space's page or playlist URL (the one target parser). */
export function resolveTarget(url: string): { host: string; port: number; target: ListenerTarget } {
  let t: ListenTarget;
  try {
    t = parseListenTarget(url);
  } catch (err) {
    throw new TypeError((err as Error).message, { cause: err });
  }
  if (t.kind !== 'live')
    throw new TypeError(`a load test needs a live space (…/s/<id> or …/live/<id>/…): ${url}`);
  const u = new URL(t.origin);
  if (u.protocol !== 'http:') throw new TypeError('only http:// URLs are supported');
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: Number(u.port || 80),
    target: { spaceId: t.spaceId, liveDir: `/live/${t.spaceId}/` },
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
  const tally = newTally(opts.onPartDelay);
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
  // Listeners finish their last request and leave (the server stops counting them) before the pool closes.
  await Promise.all(runs);
  pool.close();
  const decoded = await Promise.all(samples);
  const expectSound = opts.expectSound ?? true;
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
    failures: failuresOf({ stalls: tally.stalls, errors: tally.errors.toJSON(), decoded }, expectSound),
  };
}

async function sample(url: string, seconds: number): Promise<DecodedSample> {
  try {
    const r = await new LiveListener({ url, seconds }).run();
    const { frequencies, levelDbfs, stalls, stalledSeconds, silentSeconds, longestSilenceSeconds } = r;
    const audioSeconds = Math.round(r.audioSeconds * 10) / 10;
    return {
      frequencies,
      levelDbfs,
      audioSeconds,
      silentSeconds,
      longestSilenceSeconds,
      stalls,
      stalledSeconds,
    };
  } catch (err) {
    const code =
      err instanceof ListenError
        ? (err.info.code ?? (err.info.status ? `http_${err.info.status}` : 'error'))
        : ((err as NodeJS.ErrnoException).code ?? 'error');
    return {
      frequencies: [],
      levelDbfs: null,
      audioSeconds: 0,
      silentSeconds: 0,
      longestSilenceSeconds: 0,
      stalls: 0,
      stalledSeconds: 0,
      error: code,
    };
  }
}
