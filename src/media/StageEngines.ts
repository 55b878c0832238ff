/**
 * Where a node runs its spaces' stage engines (`--stage-engine`): all in the node's stage worker process,
 * or inline in the node's event loop (the engine before the worker, the default for now, and the stage
 * bench's reference). The inline engine is imported on first use, so a node on the worker never
 * loads werift or libopus itself.
 */
import type { SpaceStageEngine, StageEngineKind, StageEngineOptions } from './StageEngine.js';
import { StageWorker } from './StageWorker.js';

export interface StageEngines {
  readonly kind: StageEngineKind;
  open(opts: StageEngineOptions): Promise<SpaceStageEngine>;
  /** Idempotent: stops whatever `open` started (the worker process). Close the engines first. */
  close(): Promise<void>;
  /** The stage worker, when the engines run in one. */
  readonly worker?: StageWorker;
}

export function stageEngines(kind: StageEngineKind): StageEngines {
  if (kind === 'worker') {
    const worker = new StageWorker();
    return { kind, worker, open: (opts) => worker.open(opts), close: () => worker.close() };
  }
  return {
    kind,
    open: async (opts) => new (await import('./InlineStageEngine.js')).InlineStageEngine(opts),
    close: async () => undefined,
  };
}
