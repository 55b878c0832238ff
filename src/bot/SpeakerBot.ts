/**
 * A WHIP client speaker built on werift: publishes a test tone (or a WAV file) as Opus, 20 ms frames on a
 * drift-free clock, and listens to what the server sends back (tones heard, pulse arrival times).
 * Never contacts a STUN server (see stage/WeriftIce.ts).
 */
import { Decoder, Encoder } from '@evan/opus';
import {
  RTCPeerConnection,
  RtpHeader,
  RtpPacket,
  useAudioLevelIndication,
  useOPUS,
  type PeerConfig,
  type RTCRtpTransceiver,
} from 'werift';
import { logger } from '../log/Logger.js';
import { TypedEmitter } from '../util/TypedEmitter.js';
import { AUDIO_LEVEL_URI } from '../stage/SdpOffer.js';
import { clearStunFallback, hostOnlyIceConfig } from '../stage/WeriftIce.js';
import { FramePacer } from './FramePacer.js';
import { ToneGenerator, type PcmSource, type ToneOptions } from './ToneGenerator.js';
import { PulseDetector, ToneDetector, int16ToFloat, type DetectedTone } from './ToneDetector.js';
import { LoopingPcmSource, toMono, type WavData } from './WavFile.js';

const log = logger('bot.speaker');

const FRAME_SAMPLES = 960; // 20 ms at 48 kHz

export type BotAudio =
  ({ readonly kind: 'tone' } & ToneOptions) | { readonly kind: 'wav'; readonly wav: WavData };

export interface SpeakerBotOptions {
  /** The WHIP endpoint. */
  readonly whipUrl: string | URL;
  /** Sent as `Authorization: Bearer <token>` on POST and DELETE. */
  readonly token?: string;
  readonly audio: BotAudio;
  /** Frequencies to listen for in what the server sends back. Default: none (only pulses). */
  readonly listenHz?: readonly number[];
  /** Window of the tone report. Default 200 ms. */
  readonly listenWindowMs?: number;
  /** Quieter tones are left out of the report. Default -50 dBFS (benches measure leaks far below it). */
  readonly listenThresholdDbfs?: number;
  /** Pulse frequency to time on receive. Default 1000 Hz. */
  readonly pulseHz?: number;
  /** Host candidate addresses the bot offers (and binds). Default ['127.0.0.1'] for a loopback URL, else
   *  werift's interface list. No STUN either way. */
  readonly hostAddresses?: readonly string[];
  /** From POST to ICE + DTLS connected. Default 10 000 ms. */
  readonly connectTimeoutMs?: number;
  /**
   * Reconnect by itself when the connection fails or the server falls silent (it sends a packet every
   * 20 ms: its node died, or gave the space to another node). Default true; false ends the bot instead.
   */
  readonly reconnect?: boolean;
  /** No packet from the server for this long counts as a lost connection. Default 2000 ms. */
  readonly silenceTimeoutMs?: number;
  /** Injected for tests. Default: global fetch. */
  readonly fetch?: typeof fetch;
}

export type SpeakerBotEvents = {
  connected: (connectMs: number) => void;
  /** The connection was lost; the bot is publishing again from scratch (reconnect on). */
  reconnecting: (reason: string) => void;
  /** A pulse onset heard at this monotonic time (ms, `performance.now()`). */
  pulse: (atMs: number) => void;
  closed: (reason: 'stopped' | 'connection_failed') => void;
};

export interface SpeakerBotReport {
  /** POST sent → 201 answer received, ms. */
  readonly answerMs: number | undefined;
  /** POST sent → ICE + DTLS connected, ms. */
  readonly connectMs: number | undefined;
  readonly framesSent: number;
  readonly framesSkipped: number;
  readonly packetsReceived: number;
  /** Tones in the last `listenWindowMs` of received audio, loudest first. */
  readonly heard: readonly DetectedTone[];
  /** When each pulse left the bot (monotonic ms). */
  readonly pulsesSent: readonly number[];
  /** When each pulse onset arrived (monotonic ms). */
  readonly pulsesHeard: readonly number[];
}

/** A WHIP error answer, or a failed connection. */
export class SpeakerBotError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'SpeakerBotError';
  }
}

export class SpeakerBot extends TypedEmitter<SpeakerBotEvents> {
  readonly #opts: SpeakerBotOptions;
  readonly #source: PcmSource;
  readonly #encoder = new Encoder({ channels: 1, sample_rate: 48_000, application: 'audio' });
  readonly #decoder = new Decoder({ channels: 1, sample_rate: 48_000 });
  readonly #tones: ToneDetector;
  readonly #pulses: PulseDetector;
  readonly #pacer: FramePacer;
  #pc: RTCPeerConnection | undefined;
  #transceiver: RTCRtpTransceiver | undefined;
  #resource: URL | undefined;
  #audioLevelId: number | undefined;
  #answerMs: number | undefined;
  #connectMs: number | undefined;
  #packetsReceived = 0;
  #framesSent = 0;
  #pulsesSent: number[] = [];
  #pulsesHeard: number[] = [];
  #stopped: Promise<void> | undefined;
  #watchdog: NodeJS.Timeout | undefined;
  #reconnecting = false;
  #reconnects = 0;

  constructor(opts: SpeakerBotOptions) {
    super();
    this.#opts = opts;
    this.#source =
      opts.audio.kind === 'tone'
        ? new ToneGenerator(opts.audio)
        : new LoopingPcmSource(toMono(opts.audio.wav));
    this.#tones = new ToneDetector({
      candidatesHz: opts.listenHz ?? [],
      windowMs: opts.listenWindowMs ?? 200,
      ...(opts.listenThresholdDbfs !== undefined ? { thresholdDbfs: opts.listenThresholdDbfs } : {}),
    });
    this.#pulses = new PulseDetector({ frequencyHz: opts.pulseHz ?? 1000 });
    this.#pacer = new FramePacer((index) => this.#sendFrame(index));
    this.#encoder.bitrate = 64_000;
  }

  report(): SpeakerBotReport {
    return {
      answerMs: this.#answerMs,
      connectMs: this.#connectMs,
      framesSent: this.#framesSent,
      framesSkipped: this.#pacer.skipped,
      packetsReceived: this.#packetsReceived,
      heard: this.#tones.tones(),
      pulsesSent: [...this.#pulsesSent],
      pulsesHeard: [...this.#pulsesHeard],
    };
  }

  /** Forgets the audio heard so far, so the next report reflects only what comes after. */
  resetHearing(): void {
    this.#tones.reset();
  }

  /** Times the bot reconnected after losing its connection. */
  get reconnects(): number {
    return this.#reconnects;
  }

  /** POSTs the offer, applies the answer, waits for ICE + DTLS, then starts sending. Returns connect ms. */
  async start(): Promise<number> {
    if (this.#pc || this.#stopped) throw new SpeakerBotError('This bot was already started.');
    return this.#connect();
  }

  async #connect(): Promise<number> {
    const url = new URL(this.#opts.whipUrl);
    const timeoutMs = this.#opts.connectTimeoutMs ?? 10_000;
    const pc = new RTCPeerConnection(this.#peerConfig(url));
    this.#pc = pc;
    const transceiver = pc.addTransceiver('audio', { direction: 'sendrecv' });
    this.#transceiver = transceiver;
    pc.onTrack.subscribe((track) => {
      track.onReceiveRtp.subscribe((rtp) => this.#onRtp(rtp.payload));
    });
    clearStunFallback(pc);
    await pc.setLocalDescription(await pc.createOffer());
    const offer = pc.localDescription?.sdp;
    if (!offer) throw new SpeakerBotError('werift produced no offer');

    const t0 = performance.now();
    const connected = new Promise<void>((resolve, reject) => {
      pc.connectionStateChange.subscribe((state) => {
        if (state === 'connected') resolve();
        else if (state === 'failed' || state === 'closed') reject(new SpeakerBotError(`connection ${state}`));
      });
    });
    connected.catch(() => undefined);
    const response = await (this.#opts.fetch ?? fetch)(url, {
      method: 'POST',
      headers: { 'content-type': 'application/sdp', ...this.#authHeader() },
      body: offer,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = await response.text();
    if (response.status !== 201) {
      void this.#closePc();
      throw new SpeakerBotError(
        `WHIP POST answered ${response.status}: ${body.slice(0, 300)}`,
        response.status,
      );
    }
    const location = response.headers.get('location');
    if (location) this.#resource = new URL(location, url);
    this.#answerMs = performance.now() - t0;
    await pc.setRemoteDescription({ type: 'answer', sdp: body });
    const levelId = Object.entries(pc.extIdUriMap).find(([, uri]) => uri === AUDIO_LEVEL_URI)?.[0];
    this.#audioLevelId = levelId === undefined ? undefined : Number(levelId);

    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new SpeakerBotError(`not connected after ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([connected, timeout]);
    } catch (err) {
      if (this.#reconnecting) void this.#closePc();
      else await this.stop();
      throw err;
    } finally {
      clearTimeout(timer);
    }
    this.#connectMs = performance.now() - t0;
    pc.connectionStateChange.subscribe((state) => {
      if ((state === 'failed' || state === 'closed') && this.#pc === pc) this.#lost(`connection ${state}`);
    });
    this.#watch(pc);
    // Sending only now: werift drops RTP written before DTLS is connected.
    this.#pacer.start();
    this.emit('connected', this.#connectMs);
    return this.#connectMs;
  }

  /** Stops sending, DELETEs the WHIP resource, closes the peer. Idempotent. */
  stop(): Promise<void> {
    return this.#end('stopped');
  }

  /** Watches that the server keeps sending (a dead node's connection may take long to fail). */
  #watch(pc: RTCPeerConnection): void {
    clearInterval(this.#watchdog);
    const silenceMs = this.#opts.silenceTimeoutMs ?? 2000;
    let seen = this.#packetsReceived;
    let lastAt = performance.now();
    this.#watchdog = setInterval(() => {
      if (this.#pc !== pc) return;
      if (this.#packetsReceived !== seen) {
        seen = this.#packetsReceived;
        lastAt = performance.now();
      } else if (performance.now() - lastAt > silenceMs) this.#lost('the server fell silent');
    }, silenceMs / 4);
    this.#watchdog.unref();
  }

  #lost(reason: string): void {
    if (this.#stopped || this.#reconnecting) return;
    if (this.#opts.reconnect === false) {
      void this.#end('connection_failed');
      return;
    }
    this.#reconnecting = true;
    clearInterval(this.#watchdog);
    this.#pacer.stop();
    this.#resource = undefined; // that session is gone with its connection
    log.info({ reason }, 'connection lost; reconnecting');
    this.emit('reconnecting', reason);
    void (async () => {
      await this.#closePc();
      for (let attempt = 0; !this.#stopped; attempt++) {
        await new Promise((r) => setTimeout(r, Math.min(2000, 250 * 2 ** attempt)));
        if (this.#stopped) return;
        try {
          await this.#connect();
          this.#reconnects += 1;
          break;
        } catch (err) {
          // Refused for good (taken off the stage, space ended, signed out): stop, as a person would.
          const status = err instanceof SpeakerBotError ? err.status : undefined;
          if (status !== undefined && status >= 400 && status < 500 && status !== 429) {
            log.info({ status }, 'the server refuses to take the bot back; stopping');
            void this.#end('connection_failed');
            break;
          }
          log.info({ err, attempt }, 'reconnect failed; trying again');
        }
      }
      this.#reconnecting = false;
    })();
  }

  #end(reason: 'stopped' | 'connection_failed'): Promise<void> {
    if (this.#stopped) return this.#stopped;
    clearInterval(this.#watchdog);
    this.#pacer.stop();
    this.#stopped = (async () => {
      if (this.#resource && reason === 'stopped') {
        try {
          const res = await (this.#opts.fetch ?? fetch)(this.#resource, {
            method: 'DELETE',
            headers: this.#authHeader(),
            signal: AbortSignal.timeout(5_000),
          });
          await res.body?.cancel();
          if (!res.ok) log.warn({ status: res.status }, 'WHIP DELETE was refused');
        } catch (err) {
          log.warn({ err }, 'WHIP DELETE failed');
        }
      }
      await this.#closePc();
      this.emit('closed', reason);
      this.removeAllListeners();
    })();
    return this.#stopped;
  }

  async #closePc(): Promise<void> {
    try {
      await this.#pc?.close();
    } catch (err) {
      log.warn({ err }, 'werift close failed');
    }
  }

  #authHeader(): Record<string, string> {
    return this.#opts.token ? { authorization: `Bearer ${this.#opts.token}` } : {};
  }

  #peerConfig(url: URL): Partial<PeerConfig> {
    const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
    const addresses = this.#opts.hostAddresses ?? (loopback ? ['127.0.0.1'] : undefined);
    const ice: Partial<PeerConfig> = addresses
      ? hostOnlyIceConfig({
          announcedIps: addresses,
          ...(addresses.length === 1 && addresses[0] === '127.0.0.1'
            ? { listenIps: { udp4: '127.0.0.1' } }
            : {}),
        })
      : { iceServers: [] };
    return {
      ...ice,
      codecs: { audio: [useOPUS()], video: [] },
      headerExtensions: { audio: [useAudioLevelIndication()], video: [] },
    };
  }

  #sendFrame(index: number): void {
    const sender = this.#transceiver?.sender;
    if (!sender) return;
    const from = index * FRAME_SAMPLES;
    const pulse = this.#source.pulseStartsIn(from, FRAME_SAMPLES);
    const pcm = this.#source.read(from, FRAME_SAMPLES);
    const opus = this.#encoder.encode(pcm);
    const extensions =
      this.#audioLevelId !== undefined ? [{ id: this.#audioLevelId, payload: audioLevelByte(pcm) }] : [];
    const header = new RtpHeader({
      sequenceNumber: index & 0xffff,
      timestamp: from >>> 0,
      marker: index === 0,
      extension: extensions.length > 0,
      extensions,
    });
    this.#framesSent += 1;
    if (pulse) this.#pulsesSent.push(performance.now());
    sender.sendRtp(new RtpPacket(header, Buffer.from(opus))).catch((err: unknown) => {
      log.debug({ err }, 'sendRtp failed');
    });
  }

  #onRtp(payload: Buffer): void {
    const atMs = performance.now();
    this.#packetsReceived += 1;
    let bytes: Uint8Array;
    try {
      bytes = this.#decoder.decode(payload);
    } catch (err) {
      log.debug({ err }, 'undecodable Opus packet');
      return;
    }
    const pcm = new Int16Array(bytes.slice().buffer, 0, bytes.byteLength >> 1);
    const samples = int16ToFloat(pcm);
    this.#tones.push(samples);
    const onset = this.#pulses.push(samples, atMs);
    if (onset !== undefined) {
      this.#pulsesHeard.push(onset);
      this.emit('pulse', onset);
    }
  }
}

/** RFC 6464 byte: voice activity bit + level in -dBov (0 loudest .. 127), from the frame's RMS. */
function audioLevelByte(pcm: Int16Array): Buffer {
  let sum = 0;
  for (const s of pcm) sum += s * s;
  const rms = Math.sqrt(sum / Math.max(1, pcm.length)) / 32768;
  const dbov = rms > 0 ? Math.round(-20 * Math.log10(rms)) : 127;
  const level = Math.max(0, Math.min(127, dbov));
  return Buffer.from([(level < 60 ? 0x80 : 0) | level]);
}
