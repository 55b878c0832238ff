/**
 * The stage worker process: every live space's stage engine of this node (werift peers and their UDP
 * sockets, jitter buffers, the mixer, the mix-minus encoders, speaking detection), on an event loop of its
 * own that listener traffic never touches, and each on-air space's AAC encoder beside its mixer. It sends
 * the node each encoded frame of the broadcast (Opus, and AAC when the space has that rendition),
 * speaking changes, and its stages' state, over the IPC channel. It ends when the node disconnects:
 * after `shutdown`, or when the node died.
 */
import type { LevelWithSilent } from 'pino';
import type { AacFrame } from '../audio/AacEncoder.js';
import { isRostraError, RostraError } from '../errors/index.js';
import { logger, setLogLevel } from '../log/Logger.js';
import { InlineStageEngine } from './InlineStageEngine.js';
import type { StageEngineOptions } from './StageEngine.js';
import type { AacBatch, FromWorker, StageSnapshot, ToWorker, WireError } from './StageWorkerProtocol.js';

const send = process.send?.bind(process);
if (!send) throw new Error('StageWorkerProcess.ts runs as a child of a node (StageWorker.ts starts it)');
setLogLevel((process.argv[2] ?? 'info') as LevelWithSilent);
const log = logger('media.stage-worker');
// A terminal's Ctrl-C reaches the whole process group: the node decides when its stage stops (it
// closes the peers, then disconnects), and a node that died disconnects by itself.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => undefined);
process.on('disconnect', () => process.exit(0));

/** How often stages are compared with what the node last saw (peers that time out, close…). */
const SNAPSHOT_EVERY_MS = 500;

const spaces = new Map<string, InlineStageEngine>();
/** Each space's AAC frames not sent yet. */
const pendingAac = new Map<string, () => AacBatch | undefined>();
const lastSent = new Map<string, string>();

function post(msg: FromWorker): void {
  if (process.connected) (send as NonNullable<typeof send>)(msg);
}

function snapshot(engine: InlineStageEngine): StageSnapshot {
  return {
    speakers: engine.stage.speakers(),
    peers: engine.stage.sessions(),
    counters: engine.stage.counters(),
  };
}

/** Sends a space's stage if it changed since last sent. */
function sendStage(spaceId: string, engine: InlineStageEngine): void {
  const s = snapshot(engine);
  const key = JSON.stringify(s);
  if (lastSent.get(spaceId) === key) return;
  lastSent.set(spaceId, key);
  post({ type: 'stage', spaceId, snapshot: s });
}

function toWire(err: unknown): WireError {
  if (isRostraError(err)) {
    return {
      code: err.code,
      message: err.message,
      ...(err.details !== undefined ? { details: err.details } : {}),
      ...(err.retryAfter !== undefined ? { retryAfter: err.retryAfter } : {}),
    };
  }
  return { message: err instanceof Error ? err.message : String(err) };
}

function open(opts: StageEngineOptions): InlineStageEngine {
  const { spaceId } = opts;
  const engine = new InlineStageEngine(opts);
  spaces.set(spaceId, engine);
  // AAC frames wait for the next tick's Opus frame and cross with it: each IPC message costs the node
  // ~50 µs to read (docs/capacity.md), and an AAC frame is late by a tick at most.
  let aac: AacFrame[] = [];
  const takeAac = (): AacBatch | undefined => {
    const first = aac[0];
    if (!first) return undefined;
    const batch = {
      sampleTime: first.sampleTime,
      sizes: aac.map((f) => f.data.length),
      data: Buffer.concat(aac.map((f) => f.data)),
    };
    aac = [];
    return batch;
  };
  pendingAac.set(spaceId, takeAac);
  engine.on('frame', (frame) => {
    const batch = takeAac();
    post({
      type: 'frame',
      spaceId,
      sampleTime: frame.sampleTime,
      durationSamples: frame.durationSamples,
      opus: frame.opus,
      ...(batch ? { aac: batch } : {}),
    });
  });
  engine.on('aac', (frame) => aac.push(frame));
  engine.on('aacFailed', (err) => post({ type: 'aacFailed', spaceId, message: err.message }));
  engine.on('speaking', (userId, speaking) => post({ type: 'speaking', spaceId, userId, speaking }));
  engine.stage.on('speakerJoined', () => sendStage(spaceId, engine));
  engine.on('speakerLeft', (userId) => {
    sendStage(spaceId, engine);
    post({ type: 'speakerLeft', spaceId, userId });
  });
  return engine;
}

async function handle(msg: ToWorker): Promise<void> {
  switch (msg.type) {
    case 'open': {
      // A space reopened on this node (its earlier media dropped): the old engine must not linger.
      await spaces.get(msg.opts.spaceId)?.close();
      const engine = open(msg.opts);
      post({ type: 'reply', req: msg.req, ok: true, value: { preSkip: engine.preSkip } });
      return;
    }
    case 'addSpeaker': {
      const engine = spaces.get(msg.spaceId);
      try {
        if (!engine) throw new RostraError('space_ended', 'The stage of this space is closed.');
        const session = await engine.stage.addSpeaker(msg.userId, msg.offer);
        post({
          type: 'reply',
          req: msg.req,
          ok: true,
          value: session,
          spaceId: msg.spaceId,
          snapshot: snapshot(engine),
        });
      } catch (err) {
        if (engine) sendStage(msg.spaceId, engine); // a refused offer leaves no peer: say so first
        post({ type: 'reply', req: msg.req, ok: false, error: toWire(err) });
      }
      return;
    }
    case 'removeSpeaker': {
      const engine = spaces.get(msg.spaceId);
      engine?.stage.removeSpeaker(msg.userId, msg.reason, msg.sessionId);
      if (engine) sendStage(msg.spaceId, engine);
      return;
    }
    case 'mute': {
      const stage = spaces.get(msg.spaceId)?.stage;
      if (msg.muted) stage?.mute(msg.userId);
      else stage?.unmute(msg.userId);
      return;
    }
    case 'startAac':
      spaces.get(msg.spaceId)?.startAac(msg.bitrate);
      return;
    case 'close': {
      const engine = spaces.get(msg.spaceId);
      await engine?.close(); // the AAC encoder's last frames come out
      const rest = pendingAac.get(msg.spaceId)?.();
      if (rest) post({ type: 'aac', spaceId: msg.spaceId, aac: rest });
      if (spaces.get(msg.spaceId) === engine) {
        spaces.delete(msg.spaceId);
        pendingAac.delete(msg.spaceId);
      }
      lastSent.delete(msg.spaceId);
      post({
        type: 'reply',
        req: msg.req,
        ok: true,
        spaceId: msg.spaceId,
        ...(engine ? { snapshot: snapshot(engine) } : {}),
      });
      return;
    }
    case 'shutdown': {
      clearInterval(timer);
      await Promise.all([...spaces.values()].map((e) => e.close()));
      spaces.clear();
      post({ type: 'reply', req: msg.req, ok: true });
      return;
    }
    case 'crash':
      setImmediate(() => {
        throw new Error('stage worker crash requested (a test)');
      });
      return;
  }
}

const timer = setInterval(() => {
  for (const [spaceId, engine] of spaces) sendStage(spaceId, engine);
}, SNAPSHOT_EVERY_MS);
timer.unref();

/**
 * A space's messages are handled one after another, in the order the node sent them: the node does not wait
 * for `open` before it sends `addSpeaker`, and `open` awaits (the space's earlier engine closing).
 */
const chains = new Map<string, Promise<void>>();

process.on('message', (msg: ToWorker) => {
  const run = () =>
    handle(msg).catch((err: unknown) => {
      log.error({ err, type: msg.type }, 'stage worker request failed');
      if ('req' in msg) post({ type: 'reply', req: msg.req, ok: false, error: toWire(err) });
    });
  const spaceId = msg.type === 'open' ? msg.opts.spaceId : 'spaceId' in msg ? msg.spaceId : undefined;
  if (spaceId === undefined) {
    void run();
    return;
  }
  const next = (chains.get(spaceId) ?? Promise.resolve()).then(run);
  chains.set(spaceId, next);
  void next.then(() => {
    if (chains.get(spaceId) === next) chains.delete(spaceId);
  });
});
log.debug('stage worker started');
