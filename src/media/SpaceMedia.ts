/**
 * The media of one live space on its origin node: the speakers' WebRTC stage, the mixer that gives each
 * speaker everyone else and the broadcast everyone, and the LL-HLS packager listeners read from.
 * `close()` is idempotent and tears all of it down, in that order.
 */
import { StageMixEngine } from '../audio/index.js';
import { PartPackager, type ReloadDecision } from '../broadcast/index.js';
import { logger } from '../log/Logger.js';
import { StageRoom } from '../stage/index.js';
import { TypedEmitter } from '../util/TypedEmitter.js';

const log = logger('media.space');

export interface SpaceMediaOptions {
  spaceId: string;
  announcedIps: readonly string[];
  partTargetS: number;
  segmentTargetS: number;
  bitrate: number;
  maxSpeakers: number;
}

export type SpaceMediaEvents = {
  speaking: (userId: string, speaking: boolean) => void;
  closed: () => void;
};

export class SpaceMedia extends TypedEmitter<SpaceMediaEvents> {
  readonly spaceId: string;
  readonly stage: StageRoom;
  readonly engine: StageMixEngine;
  readonly packager: PartPackager;
  readonly startedAtMs = Date.now();
  #closing: Promise<void> | undefined;

  constructor(opts: SpaceMediaOptions) {
    super();
    this.spaceId = opts.spaceId;
    this.stage = new StageRoom(opts.spaceId, {
      announcedIps: opts.announcedIps,
      maxSpeakers: opts.maxSpeakers,
    });
    this.engine = new StageMixEngine({
      source: this.stage,
      sink: this.stage,
      broadcastEncoder: { bitrate: opts.bitrate },
    });
    this.packager = new PartPackager({
      preSkip: this.engine.preSkip,
      startedAtMs: this.startedAtMs,
      partTargetS: opts.partTargetS,
      segmentTargetS: opts.segmentTargetS,
    });
    this.engine.on('frame', (frame) => this.packager.push(frame));
    this.engine.on('speaking', (userId, speaking) => this.emit('speaking', userId, speaking));
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /**
   * Waits until the playlist can answer a blocking reload for `directives`: resolves with the decision
   * (`respond` or `bad-request`), or `timeout` if the part did not come in time.
   */
  async awaitReload(directives: {
    msn?: number;
    part?: number;
  }): Promise<ReloadDecision | { kind: 'timeout' }> {
    const first = this.packager.decideReload(directives);
    if (first.kind !== 'wait') return first;
    return new Promise((resolve) => {
      const done = (d: ReloadDecision | { kind: 'timeout' }) => {
        clearTimeout(timer);
        this.packager.off('part', onPart);
        this.packager.off('end', onEnd);
        resolve(d);
      };
      const onPart = () => {
        const d = this.packager.decideReload(directives);
        if (d.kind !== 'wait') done(d);
      };
      const onEnd = () => done({ kind: 'respond' });
      const timer = setTimeout(() => done({ kind: 'timeout' }), first.timeoutMs);
      this.packager.on('part', onPart);
      this.packager.on('end', onEnd);
    });
  }

  /** Idempotent: stops the stage, the mixer and the packager (the playlist ends). */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.engine.close();
      await this.stage.close();
      this.packager.end();
      this.emit('closed');
      this.removeAllListeners();
      log.info({ spaceId: this.spaceId }, 'space media closed');
    })();
    return this.#closing;
  }
}
