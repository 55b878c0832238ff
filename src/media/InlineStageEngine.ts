/**
 * A space's stage engine in the event loop that creates it: the StageRoom (werift peers) and the
 * StageMixEngine (jitter, mixer, mix-minus encoders, speaking). The stage worker process runs one of these
 * per space; `--stage-engine inline` runs it in the node itself. Loading this module loads werift.
 */
import { AacEncoder } from '../audio/AacEncoder.js';
import { StageMixEngine } from '../audio/index.js';
import { StageRoom } from '../stage/index.js';
import { TypedEmitter } from '../util/TypedEmitter.js';
import type { SpaceStageEngine, StageEngineEvents, StageEngineOptions } from './StageEngine.js';

export class InlineStageEngine extends TypedEmitter<StageEngineEvents> implements SpaceStageEngine {
  readonly stage: StageRoom;
  readonly mix: StageMixEngine;
  #aac: AacEncoder | undefined;
  #closing: Promise<void> | undefined;

  constructor(opts: StageEngineOptions) {
    super();
    this.stage = new StageRoom(opts.spaceId, {
      announcedIps: opts.announcedIps,
      maxSpeakers: opts.maxSpeakers,
    });
    this.mix = new StageMixEngine({
      source: this.stage,
      sink: this.stage,
      broadcastEncoder: { bitrate: opts.bitrate },
    });
    this.mix.on('frame', (frame) => this.emit('frame', frame));
    this.mix.on('speaking', (userId, speaking) => this.emit('speaking', userId, speaking));
    this.stage.on('speakerLeft', (userId) => this.emit('speakerLeft', userId));
  }

  get preSkip(): number {
    return this.mix.preSkip;
  }

  startAac(bitrate: number): void {
    if (this.#aac || this.#closing) return;
    const aac = new AacEncoder({ bitrate });
    this.#aac = aac;
    aac.on('frame', (frame) => this.emit('aac', frame));
    aac.on('error', (err) => this.emit('aacFailed', err));
    this.mix.on('pcm', (pcm, sampleTime) => aac.push(pcm, sampleTime)); // push copies the buffer
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.mix.close();
      // The encoder's last frames come out while the peers close.
      await Promise.all([this.#aac?.finish(), this.stage.close()]);
      this.removeAllListeners();
    })();
    return this.#closing;
  }
}
