/**
 * One speaker's jitter buffer. Packets come in when the network delivers them; the mixer pulls one slot
 * per 20 ms tick. Playout follows RTP timestamps (not sequence numbers), so DTX gaps and odd packet
 * durations keep their timing; sequence numbers only detect duplicates.
 *
 * Life cycle: idle → (first packet) priming for `targetDelayMs` → playing → (nothing to play for
 * `idleAfterMs`) idle. A talk spurt after a pause (mute, silence) therefore restarts from scratch: no
 * stale state, no concealing the whole gap, and it plays after exactly the target delay.
 */
import type { OpusPacket } from '../stage/StageAudio.js';
import { FRAME_MS, FRAME_SAMPLES, SAMPLE_RATE, opusPacketSamples } from './OpusCodec.js';

export interface JitterBufferOptions {
  /** Delay from a talk spurt's first packet to its playout; absorbs that much jitter. Default 40 ms. */
  targetDelayMs?: number;
  /** Most audio queued ahead of playout; beyond it the oldest is dropped (bursts, fast sender clock). Default 200 ms. */
  maxDelayMs?: number;
  /** With nothing queued for this long, stop concealing and go idle. Default 100 ms. */
  idleAfterMs?: number;
  /** This many late packets in a row mean the path delay grew: restart playout from the newest. Default 3. */
  lateResyncCount?: number;
}

/** What one pull gives: a packet to decode, a lost slot to conceal, or nothing (idle or priming). */
export type JitterSlot =
  | {
      readonly kind: 'packet';
      readonly packet: OpusPacket;
      readonly samples: number;
      /** The packet that would have played had the queue not just been drained: fade from it to this one. */
      readonly fadeFrom?: OpusPacket;
    }
  | { readonly kind: 'lost' }
  | { readonly kind: 'silent' };

export type PushResult = 'accepted' | 'duplicate' | 'late' | 'restarted';

export interface JitterStats {
  received: number;
  played: number;
  lost: number;
  duplicates: number;
  late: number;
  overflowDropped: number;
  restarts: number;
}

interface Entry {
  readonly ts: number; // unwrapped timestamp
  readonly seq: number; // unwrapped sequence number
  readonly samples: number;
  readonly packet: OpusPacket;
}

/** RTP audio level (−dBov) at or below which a frame is a pause: −50 dBov is under any voice. */
const QUIET_LEVEL = 50;
const isQuiet = (e: Entry | undefined): boolean =>
  e?.packet.audioLevel !== undefined && e.packet.audioLevel >= QUIET_LEVEL;

/** Pulls (20 ms each) a queue must stay too long before it is drained: half a second. */
const STANDING_SLOTS = 25;

const SLOT_SILENT: JitterSlot = { kind: 'silent' };
const SLOT_LOST: JitterSlot = { kind: 'lost' };

export class JitterBuffer {
  readonly #primeSlots: number;
  readonly #maxDelaySamples: number;
  readonly #idleAfterSlots: number;
  readonly #lateResyncCount: number;
  /** A queue above this (samples) at every pull for `STANDING_SLOTS` pulls is standing delay... */
  readonly #standingHigh: number;
  /** ...and is drained down to this. */
  readonly #standingTarget: number;
  readonly stats: JitterStats = {
    received: 0,
    played: 0,
    lost: 0,
    duplicates: 0,
    late: 0,
    overflowDropped: 0,
    restarts: 0,
  };

  #state: 'idle' | 'priming' | 'playing' = 'idle';
  #queue: Entry[] = []; // sorted by ts
  #cursor = 0; // unwrapped timestamp of the next sample to play
  #primeLeft = 0;
  #emptySlots = 0;
  #lateInRow = 0;
  /** Pulls in a row that found the queue above `#standingHigh`. */
  #standingPulls = 0;
  #lastSamples = FRAME_SAMPLES;
  // Unwrapping state: the 32/16-bit value and its unwrapped form for the newest packet seen.
  #refTs32 = 0;
  #refTs = 0;
  #refSeq16 = 0;
  #refSeq = 0;

  constructor(opts: JitterBufferOptions = {}) {
    const target = opts.targetDelayMs ?? 40;
    const maxDelay = opts.maxDelayMs ?? 200;
    const idleAfter = opts.idleAfterMs ?? 100;
    if (!(target >= 0) || !(maxDelay >= target + FRAME_MS) || !(idleAfter >= FRAME_MS)) {
      throw new TypeError(
        'JitterBuffer needs 0 <= targetDelayMs, maxDelayMs >= target + 20, idleAfterMs >= 20',
      );
    }
    this.#primeSlots = Math.round(target / FRAME_MS);
    this.#maxDelaySamples = (maxDelay * SAMPLE_RATE) / 1000;
    this.#idleAfterSlots = Math.ceil(idleAfter / FRAME_MS);
    this.#lateResyncCount = Math.max(1, opts.lateResyncCount ?? 3);
    // At a pull the queue normally holds the target plus the packet that just came; jitter adds a frame
    // or two at times, never for half a second on end.
    this.#standingTarget = this.#primeSlots * FRAME_SAMPLES + FRAME_SAMPLES;
    this.#standingHigh = this.#standingTarget + 2 * FRAME_SAMPLES;
  }

  /** True while the speaker is audible or being concealed (not idle, not priming). */
  get playing(): boolean {
    return this.#state === 'playing';
  }

  /** Packets queued, for tests and metrics. */
  get size(): number {
    return this.#queue.length;
  }

  push(packet: OpusPacket): PushResult {
    this.stats.received++;
    if (this.#state === 'idle') {
      this.#restart(packet);
      return 'accepted';
    }
    const ts = this.#unwrapTs(packet.timestamp);
    const seq = this.#unwrapSeq(packet.sequence);
    if (ts < this.#cursor) {
      // While priming nothing has played yet: an earlier packet that arrived second just moves the start.
      if (this.#state === 'priming' && this.#cursor - ts <= this.#maxDelaySamples) {
        if (this.#queue.some((e) => e.ts === ts || e.seq === seq)) return this.#duplicate();
        this.#cursor = ts;
      } else if (this.#queue.length === 0 && ++this.#lateInRow >= this.#lateResyncCount) {
        this.stats.late++;
        this.#restart(packet);
        return 'restarted';
      } else {
        this.stats.late++;
        return 'late';
      }
    }
    this.#lateInRow = 0;
    const samples = opusPacketSamples(packet.payload) || FRAME_SAMPLES;
    if (!this.#insert({ ts, seq, samples, packet })) return this.#duplicate();
    this.#trimOverflow();
    return 'accepted';
  }

  /** The slot for the next 20 ms tick (call once per tick; twice if the packets are 10 ms). */
  pull(): JitterSlot {
    if (this.#state === 'idle') return SLOT_SILENT;
    if (this.#state === 'priming') {
      if (this.#primeLeft > 0) {
        this.#primeLeft--;
        return SLOT_SILENT;
      }
      this.#state = 'playing';
    }
    const head = this.#queue[0];
    if (head === undefined) {
      if (++this.#emptySlots >= this.#idleAfterSlots) {
        this.#goIdle();
        return SLOT_SILENT;
      }
      return this.#lose();
    }
    this.#emptySlots = 0;
    const drained = this.#drainStanding();
    if (drained) {
      const next = this.#queue.shift() as Entry;
      this.#cursor = next.ts + next.samples;
      this.#lastSamples = next.samples;
      this.stats.played++;
      return { kind: 'packet', packet: next.packet, samples: next.samples, fadeFrom: drained.packet };
    }
    const ahead = head.ts - this.#cursor;
    // Within one frame of the cursor it is this slot's packet (tolerates senders with odd steps); a gap
    // longer than the buffer can hold (DTX, sender timestamp jump) is skipped rather than concealed.
    if (ahead >= this.#lastSamples && ahead <= this.#maxDelaySamples) return this.#lose();
    this.#queue.shift();
    this.#cursor = head.ts + head.samples;
    this.#lastSamples = head.samples;
    this.stats.played++;
    return { kind: 'packet', packet: head.packet, samples: head.samples };
  }

  /**
   * Standing delay: when the mixer's process stalls, the packets of the stall arrive at once and queue
   * behind the playout point, and the speaker is heard that much later until the buffer next goes idle
   * (a browser without DTX sends packets through silence too: never). A queue that stayed above the
   * target by more than jitter explains, at every pull for half a second, is drained to the target at
   * the next pause.
   */
  #drainStanding(): Entry | undefined {
    let queued = 0;
    for (const e of this.#queue) queued += e.samples;
    if (queued <= this.#standingHigh) {
      this.#standingPulls = 0;
      return undefined;
    }
    if (++this.#standingPulls < STANDING_SLOTS) return undefined;
    // Only quiet frames (a pause between words, by the sender's RTP audio level) are dropped: a skip in
    // the middle of a sound is a click, however it is faded, and a click reaches every other speaker's
    // band. Until a pause comes, the queue waits; a voice pauses every few seconds.
    const first = this.#queue[0];
    let dropped = 0;
    while (queued > this.#standingTarget && this.#queue.length > 1 && isQuiet(this.#queue[0])) {
      const head = this.#queue.shift() as Entry;
      queued -= head.samples;
      this.stats.overflowDropped++;
      dropped++;
    }
    if (dropped === 0) return undefined;
    this.#standingPulls = 0;
    // The first one dropped is what would have played now: the caller fades from it.
    return first;
  }

  /** Drops everything and goes idle (speaker left, or the mixer was reset). */
  reset(): void {
    this.#goIdle();
  }

  #restart(packet: OpusPacket): void {
    if (this.stats.received > 1) this.stats.restarts++;
    this.#queue = [];
    this.#refTs32 = packet.timestamp >>> 0;
    this.#refTs = this.#refTs32;
    this.#refSeq16 = packet.sequence & 0xffff;
    this.#refSeq = this.#refSeq16;
    const samples = opusPacketSamples(packet.payload) || FRAME_SAMPLES;
    this.#queue.push({ ts: this.#refTs, seq: this.#refSeq, samples, packet });
    this.#cursor = this.#refTs;
    this.#lastSamples = samples;
    this.#state = 'priming';
    this.#primeLeft = this.#primeSlots;
    this.#emptySlots = 0;
    this.#lateInRow = 0;
    this.#standingPulls = 0;
  }

  #goIdle(): void {
    this.#state = 'idle';
    this.#queue = [];
    this.#emptySlots = 0;
    this.#lateInRow = 0;
  }

  #lose(): JitterSlot {
    this.#cursor += this.#lastSamples;
    this.stats.lost++;
    return SLOT_LOST;
  }

  #duplicate(): PushResult {
    this.stats.duplicates++;
    return 'duplicate';
  }

  /** Inserts in timestamp order (searching from the end: packets mostly arrive in order). */
  #insert(entry: Entry): boolean {
    let i = this.#queue.length;
    while (i > 0) {
      const prev = this.#queue[i - 1] as Entry;
      if (prev.ts === entry.ts || prev.seq === entry.seq) return false;
      if (prev.ts < entry.ts) break;
      i--;
    }
    this.#queue.splice(i, 0, entry);
    return true;
  }

  /**
   * Bounded memory and delay: drop the oldest while more than maxDelay of audio is queued. Queued audio
   * is counted in packet durations, not timestamp span, so a DTX gap in the queue is not mistaken for delay.
   */
  #trimOverflow(): void {
    let queued = 0;
    for (const e of this.#queue) queued += e.samples;
    while (queued > this.#maxDelaySamples) {
      const head = this.#queue.shift() as Entry;
      queued -= head.samples;
      this.stats.overflowDropped++;
      this.#cursor = this.#queue[0]?.ts ?? head.ts + head.samples;
    }
  }

  /** 32-bit RTP timestamp → monotonic number, by the signed distance to the newest one seen. */
  #unwrapTs(ts32: number): number {
    const delta = ((ts32 >>> 0) - this.#refTs32) | 0;
    const ts = this.#refTs + delta;
    if (delta > 0) {
      this.#refTs32 = ts32 >>> 0;
      this.#refTs = ts;
    }
    return ts;
  }

  /** 16-bit RTP sequence number → monotonic number, the same way. */
  #unwrapSeq(seq16: number): number {
    const delta = (((seq16 & 0xffff) - this.#refSeq16) << 16) >> 16;
    const seq = this.#refSeq + delta;
    if (delta > 0) {
      this.#refSeq16 = seq16 & 0xffff;
      this.#refSeq = seq;
    }
    return seq;
  }
}
