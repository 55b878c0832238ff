/**
 * The node's stage worker, seen from the node: one child process (StageWorkerProcess.ts) runs every live
 * space's stage engine, so that serving thousands of listeners on the node's event loop cannot delay a
 * speaker's packets, the mixer's ticks or the mix-minus going back (mediasoup runs its workers apart for
 * the same reason). The node keeps HTTP, the WHIP exchange (it forwards the offer and gets the answer
 * back), the packagers and the recorder; the worker sends it each encoded frame of the broadcast (Opus,
 * and AAC: the AAC encoder runs in the worker too, beside the mixer whose PCM it encodes).
 *
 * A process, not a worker thread, because of libopus: @evan/opus' native addon crashes the process
 * (SIGSEGV) when a worker thread that loaded it ends, and it writes every packet into one output buffer
 * per process, so two threads encoding at once swapped bytes (a speaker heard their own voice). Its
 * WebAssembly build, safe in a thread, encodes 2–3 × slower here. In a process of its own the native
 * addon is alone, and the messages are a few hundred bytes per 20 ms per space.
 *
 * The process starts with the first space and lives until `close()`. If it dies, the crash is logged,
 * every space it ran fails (MediaPlane drops their media, as when a lease is lost: the spaces stay live and
 * their recordings resumable) and the next space that needs media starts a new process. Restarting beats
 * exiting the node: that would also cut every listener of every space off it. If the node dies, the
 * worker sees its IPC channel close and exits.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { AAC_FRAME_SAMPLES } from '../audio/AacEncoder.js';
import { RostraError } from '../errors/index.js';
import type { ErrorCode } from '../errors/ErrorCode.js';
import { logger } from '../log/Logger.js';
import type { SpeakerCloseReason, SpeakerSession, StageRoomCounters } from '../stage/StageTypes.js';
import { TypedEmitter } from '../util/TypedEmitter.js';
import type {
  SpaceStageEngine,
  StageControl,
  StageEngineEvents,
  StageEngineOptions,
  StagePeerView,
} from './StageEngine.js';
import type { AacBatch, FromWorker, StageSnapshot, ToWorker, WireError } from './StageWorkerProtocol.js';

const log = logger('media.stage-worker');
/** How long `close()` waits for the worker to close its peers before it is terminated anyway. */
const SHUTDOWN_DEADLINE_MS = 10_000;

type Request = ToWorker extends infer T ? (T extends { req: number } ? Omit<T, 'req'> : never) : never;

interface Pending {
  resolve: (msg: Extract<FromWorker, { type: 'reply'; ok: true }>) => void;
  reject: (err: Error) => void;
}

function fromWire(error: WireError): Error {
  if (error.code !== undefined) {
    return new RostraError(error.code as ErrorCode, error.message, {
      ...(error.details !== undefined ? { details: error.details } : {}),
      ...(error.retryAfter !== undefined ? { retryAfter: error.retryAfter } : {}),
    });
  }
  return new Error(error.message);
}

/** Starts the process: the built JS in production; under tsx (dev, tests), the .ts with tsx loaded. */
function startProcess(logLevel: string): ChildProcess {
  const self = import.meta.url;
  const dev = self.endsWith('.ts');
  const entry = fileURLToPath(new URL(`./StageWorkerProcess.${dev ? 'ts' : 'js'}`, self));
  return fork(entry, [logLevel], {
    execArgv: dev ? ['--import', import.meta.resolve('tsx')] : [],
    serialization: 'advanced', // typed arrays as they are, not as JSON
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

export class StageWorker {
  #worker: ChildProcess | undefined;
  /** Set while close() stops the process: its exit is then no crash. */
  #stopping: ChildProcess | undefined;
  readonly #pending = new Map<number, Pending>();
  readonly #engines = new Map<string, WorkerStageEngine>();
  #nextReq = 1;
  #crashes = 0;
  #closed = false;

  /** Threads that died unasked since the node started. */
  get crashes(): number {
    return this.#crashes;
  }

  /** Whether the process runs now. */
  get running(): boolean {
    return this.#worker !== undefined;
  }

  /** Starts a space's stage engine in the worker (starting the worker first if needed). */
  async open(opts: StageEngineOptions): Promise<SpaceStageEngine> {
    if (this.#closed)
      throw new RostraError('space_unavailable', 'This node is shutting down.', { retryAfter: 5 });
    const engine = new WorkerStageEngine(this, opts.spaceId);
    this.#engines.get(opts.spaceId)?.fail(new Error('replaced by a newer engine of the same space'));
    this.#engines.set(opts.spaceId, engine);
    this.#holdOpen();
    // Awaited: the node anchors the broadcast's PROGRAM-DATE-TIME when the space's media is made, and the
    // worker's mix clock starts with its `open`; starting the process first (~1 s, more on a busy machine)
    // would put every part's date that much in the past.
    try {
      const reply = await this.request({ type: 'open', opts });
      const preSkip = (reply.value as { preSkip: number }).preSkip;
      if (preSkip !== engine.preSkip)
        throw new Error(`the worker's Opus encoder delay is ${preSkip}, not ${engine.preSkip}`);
    } catch (err) {
      if (this.#engines.get(opts.spaceId) === engine) this.#engines.delete(opts.spaceId);
      this.#holdOpen();
      throw err;
    }
    return engine;
  }

  /** Idempotent: closes every space's peers in the worker, then ends the process. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const worker = this.#worker;
    if (!worker) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.request({ type: 'shutdown' }).catch((err: unknown) =>
        log.warn({ err }, 'the stage worker did not shut down cleanly'),
      ),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, SHUTDOWN_DEADLINE_MS))),
    ]);
    clearTimeout(timer);
    this.#stopping = worker;
    const exited = new Promise<void>((resolve) => {
      if (worker.exitCode !== null || worker.signalCode !== null) resolve();
      else worker.once('exit', () => resolve());
    });
    if (worker.connected) worker.disconnect(); // it exits on disconnect
    const kill = setTimeout(() => worker.kill('SIGKILL'), SHUTDOWN_DEADLINE_MS);
    await exited;
    clearTimeout(kill);
    this.#worker = undefined;
    for (const engine of this.#engines.values()) engine.fail(new Error('the stage worker stopped'));
    this.#engines.clear();
  }

  /** Makes the worker throw an uncaught error (tests of crash handling). */
  crashForTest(): void {
    this.post({ type: 'crash' });
  }

  /** @internal */
  request(msg: Request): Promise<Extract<FromWorker, { type: 'reply'; ok: true }>> {
    const req = this.#nextReq++;
    return new Promise((resolve, reject) => {
      this.#pending.set(req, { resolve, reject });
      try {
        this.post({ ...msg, req } as ToWorker);
      } catch (err) {
        this.#pending.delete(req);
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  /** @internal */
  post(msg: ToWorker): void {
    const worker = this.#process();
    if (!worker.connected)
      throw new RostraError('space_unavailable', 'The media engine restarted.', { retryAfter: 1 });
    worker.send(msg);
  }

  /** @internal: an engine closed and wants no more messages. */
  forget(spaceId: string, engine: WorkerStageEngine): void {
    if (this.#engines.get(spaceId) === engine) this.#engines.delete(spaceId);
    this.#holdOpen();
  }

  /** Like a server socket, the worker keeps the node's process alive while it runs spaces, not when idle. */
  #holdOpen(): void {
    const worker = this.#worker;
    if (!worker) return;
    // The IPC channel is a handle of its own (typed as unknown-ish by @types/node: it has ref/unref).
    const channel = worker.channel as { ref?: () => void; unref?: () => void } | null | undefined;
    if (this.#engines.size > 0) {
      worker.ref();
      channel?.ref?.();
    } else {
      worker.unref();
      channel?.unref?.();
    }
  }

  #process(): ChildProcess {
    if (this.#worker) return this.#worker;
    if (this.#closed)
      throw new RostraError('space_unavailable', 'This node is shutting down.', { retryAfter: 5 });
    const worker = startProcess(log.level);
    worker.on('message', (msg: FromWorker) => this.#onMessage(msg));
    worker.on('error', (err) => log.error({ err }, 'the stage worker failed'));
    worker.on('exit', (code, signal) => this.#onExit(worker, code, signal));
    this.#worker = worker;
    this.#holdOpen();
    log.info({ pid: worker.pid }, 'stage worker started');
    return worker;
  }

  #onMessage(msg: FromWorker): void {
    if (msg.type === 'reply') {
      const pending = this.#pending.get(msg.req);
      if (!pending) return;
      this.#pending.delete(msg.req);
      if (msg.ok) {
        if (msg.spaceId !== undefined && msg.snapshot)
          this.#engines.get(msg.spaceId)?.stage.apply(msg.snapshot);
        pending.resolve(msg);
      } else pending.reject(fromWire(msg.error));
      return;
    }
    this.#engines.get(msg.spaceId)?.deliver(msg);
  }

  #onExit(worker: ChildProcess, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#worker !== worker) return;
    this.#worker = undefined;
    const err =
      this.#stopping === worker
        ? new Error('the stage worker stopped')
        : new Error(`the stage worker exited with code ${code ?? signal}`);
    if (this.#stopping !== worker) {
      this.#crashes++;
      log.error(
        { code, signal, spaces: this.#engines.size },
        'the stage worker died: its spaces lose their stage; the next space starts a new worker',
      );
    }
    for (const pending of this.#pending.values()) {
      pending.reject(new RostraError('space_unavailable', 'The media engine restarted.', { retryAfter: 1 }));
    }
    this.#pending.clear();
    const engines = [...this.#engines.values()];
    this.#engines.clear();
    for (const engine of engines) engine.fail(err);
  }
}

/** One space's engine in the worker, from the node. */
class WorkerStageEngine extends TypedEmitter<StageEngineEvents> implements SpaceStageEngine {
  readonly stage: WorkerStageControl;
  /** libopus's encoder delay at 48 kHz (application 'audio'); the worker's answer to `open` confirms it. */
  readonly preSkip = 312;
  readonly #worker: StageWorker;
  readonly #spaceId: string;
  #closing: Promise<void> | undefined;
  #failed = false;

  constructor(worker: StageWorker, spaceId: string) {
    super();
    this.#worker = worker;
    this.#spaceId = spaceId;
    this.stage = new WorkerStageControl(worker, spaceId, this);
  }

  get failed(): boolean {
    return this.#failed;
  }

  get closing(): boolean {
    return this.#closing !== undefined;
  }

  deliver(msg: Exclude<FromWorker, { type: 'reply' }>): void {
    switch (msg.type) {
      case 'frame':
        this.emit('frame', {
          opus: msg.opus,
          sampleTime: msg.sampleTime,
          durationSamples: msg.durationSamples,
        });
        if (msg.aac) this.#emitAac(msg.aac);
        return;
      case 'aac':
        this.#emitAac(msg.aac);
        return;
      case 'aacFailed':
        this.emit('aacFailed', new Error(msg.message));
        return;
      case 'speaking':
        this.emit('speaking', msg.userId, msg.speaking);
        return;
      case 'speakerLeft':
        this.emit('speakerLeft', msg.userId);
        return;
      case 'stage':
        this.stage.apply(msg.snapshot);
        return;
    }
  }

  #emitAac(batch: AacBatch): void {
    let offset = 0;
    batch.sizes.forEach((size, i) => {
      const data = batch.data.subarray(offset, offset + size);
      offset += size;
      const sampleTime = batch.sampleTime + i * AAC_FRAME_SAMPLES;
      this.emit('aac', { data, sampleTime, durationSamples: AAC_FRAME_SAMPLES });
    });
  }

  startAac(bitrate: number): void {
    this.stage.send({ type: 'startAac', spaceId: this.#spaceId, bitrate });
  }

  /** The worker is gone: nothing more will come. */
  fail(err: Error): void {
    if (this.#failed) return;
    this.#failed = true;
    this.stage.apply({ speakers: [], peers: [], counters: this.stage.counters() });
    if (!this.#closing) this.emit('failed', err);
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      if (!this.#failed) {
        try {
          await this.#worker.request({ type: 'close', spaceId: this.#spaceId });
        } catch (err) {
          log.warn({ err, spaceId: this.#spaceId }, 'the stage worker could not close a stage');
        }
      }
      this.#worker.forget(this.#spaceId, this);
      this.removeAllListeners();
    })();
    return this.#closing;
  }
}

/** A space's stage as the node mirrors it: reads answer at once, changes go to the worker. */
class WorkerStageControl implements StageControl {
  readonly #worker: StageWorker;
  readonly #spaceId: string;
  readonly #engine: WorkerStageEngine;
  #speakers: readonly string[] = [];
  #peers = new Map<string, { id: string; state: StagePeerView['state'] }>();
  readonly #muted = new Set<string>();
  #counters: StageRoomCounters = { peers: 0, connectedPeers: 0, timers: 0, listeners: 0 };

  constructor(worker: StageWorker, spaceId: string, engine: WorkerStageEngine) {
    this.#worker = worker;
    this.#spaceId = spaceId;
    this.#engine = engine;
  }

  apply(s: StageSnapshot): void {
    this.#speakers = s.speakers;
    this.#peers = new Map(s.peers.map((p) => [p.userId, { id: p.id, state: p.state }]));
    this.#counters = s.counters;
  }

  speakers(): readonly string[] {
    return this.#speakers;
  }

  async addSpeaker(userId: string, offer: string | Uint8Array): Promise<SpeakerSession> {
    if (this.#engine.failed || this.#engine.closing)
      throw new RostraError('space_ended', 'The stage of this space is closed.');
    const reply = await this.#worker.request({ type: 'addSpeaker', spaceId: this.#spaceId, userId, offer });
    return reply.value as SpeakerSession;
  }

  removeSpeaker(userId: string, reason: SpeakerCloseReason = 'removed', sessionId?: string): boolean {
    const peer = this.#peers.get(userId);
    if (!peer || (sessionId !== undefined && peer.id !== sessionId)) return false;
    this.#peers.delete(userId); // the worker's next snapshot confirms it
    this.send({
      type: 'removeSpeaker',
      spaceId: this.#spaceId,
      userId,
      reason,
      ...(sessionId ? { sessionId } : {}),
    });
    return true;
  }

  mute(userId: string): void {
    this.#muted.add(userId);
    this.send({ type: 'mute', spaceId: this.#spaceId, userId, muted: true });
  }

  unmute(userId: string): void {
    this.#muted.delete(userId);
    this.send({ type: 'mute', spaceId: this.#spaceId, userId, muted: false });
  }

  isMuted(userId: string): boolean {
    return this.#muted.has(userId);
  }

  counters(): StageRoomCounters {
    return this.#counters;
  }

  peer(userId: string): StagePeerView | undefined {
    const peer = this.#peers.get(userId);
    return peer && { id: peer.id, state: peer.state, stats: () => undefined };
  }

  /** @internal: a message about this space; lost (and logged) if the worker is gone. */
  send(msg: ToWorker): void {
    if (this.#engine.failed) return;
    try {
      this.#worker.post(msg);
    } catch (err) {
      log.warn({ err, spaceId: this.#spaceId }, 'could not reach the stage worker');
    }
  }
}
