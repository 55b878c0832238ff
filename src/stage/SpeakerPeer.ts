/**
 * One speaker's WebRTC peer on the server: werift in ICE-lite mode, one sendrecv Opus transceiver.
 * Upstream RTP becomes `packet` events (unless muted); `send()` writes the speaker's mix-minus downstream.
 */
import {
  RTCPeerConnection,
  RtpHeader,
  RtpPacket,
  useAudioLevelIndication,
  useOPUS,
  type Extensions,
  type RTCRtpTransceiver,
} from 'werift';
import { RostraError } from '../errors/index.js';
import { logger } from '../log/Logger.js';
import { newId } from '../util/ids.js';
import { TypedEmitter } from '../util/TypedEmitter.js';
import { AUDIO_LEVEL_URI, parseSdpOffer, type SdpOffer } from './SdpOffer.js';
import type { OpusPacket } from './StageAudio.js';
import type {
  SpeakerCloseReason,
  SpeakerPeerEvents,
  SpeakerPeerOptions,
  SpeakerPeerState,
  SpeakerPeerStats,
} from './StageTypes.js';
import {
  checkIceAddressOptions,
  clearStunFallback,
  followHighestNomination,
  hostOnlyIceConfig,
} from './WeriftIce.js';

const log = logger('stage.peer');

const DEFAULT_CONNECT_TIMEOUT_MS = 15_000;
const DEFAULT_INACTIVITY_TIMEOUT_MS = 20_000;

export class SpeakerPeer extends TypedEmitter<SpeakerPeerEvents> {
  /** Random, URL-safe session id (the WHIP resource). */
  readonly id = newId();
  readonly speakerId: string;
  readonly #opts: Required<Omit<SpeakerPeerOptions, 'listenIps' | 'portRange' | 'sdpLimits'>> &
    SpeakerPeerOptions;
  readonly #pc: RTCPeerConnection;
  #state: SpeakerPeerState = 'new';
  #closeReason: SpeakerCloseReason | undefined;
  #muted = false;
  #offer: SdpOffer | undefined;
  #transceiver: RTCRtpTransceiver | undefined;
  #seq = Math.floor(Math.random() * 0x10000);
  #lastActivityMs = 0;
  #connectTimer: NodeJS.Timeout | undefined;
  #inactivityTimer: NodeJS.Timeout | undefined;
  #unsubscribers: (() => void)[] = [];
  #released: Promise<void> | undefined;
  #wakeClosed: (() => void) | undefined;
  readonly #closedSignal = new Promise<void>((resolve) => (this.#wakeClosed = resolve));
  #stats = { packetsReceived: 0, packetsDropped: 0, packetsSent: 0, sendsRefused: 0 };
  #lastAudioLevel: number | undefined;

  constructor(speakerId: string, options: SpeakerPeerOptions) {
    super();
    checkIceAddressOptions(options);
    const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const inactivityTimeoutMs = options.inactivityTimeoutMs ?? DEFAULT_INACTIVITY_TIMEOUT_MS;
    if (!(connectTimeoutMs > 0)) throw new TypeError('connectTimeoutMs must be > 0');
    if (!(inactivityTimeoutMs >= 0)) throw new TypeError('inactivityTimeoutMs must be >= 0');
    this.speakerId = speakerId;
    this.#opts = { ...options, connectTimeoutMs, inactivityTimeoutMs };
    this.#pc = new RTCPeerConnection({
      ...hostOnlyIceConfig(options),
      // The server is ICE-lite, as Janus and mediasoup are: it answers checks and never sends any, and so
      // never queries STUN or TURN either.
      iceLite: true,
      codecs: { audio: [useOPUS()], video: [] },
      headerExtensions: { audio: [useAudioLevelIndication()], video: [] },
    });
  }

  get state(): SpeakerPeerState {
    return this.#state;
  }

  get closeReason(): SpeakerCloseReason | undefined {
    return this.#closeReason;
  }

  get muted(): boolean {
    return this.#muted;
  }

  /** Server-side mute: while muted, upstream packets are dropped here. Unmuting resumes at the next packet. */
  setMuted(muted: boolean): void {
    this.#muted = muted;
  }

  stats(): SpeakerPeerStats {
    return { ...this.#stats, lastAudioLevel: this.#lastAudioLevel };
  }

  /** Timers armed now (0 once closed). */
  activeTimers(): number {
    return (this.#connectTimer ? 1 : 0) + (this.#inactivityTimer ? 1 : 0);
  }

  /** werift subscriptions plus listeners on this peer (0 once closed). */
  activeListeners(): number {
    return this.#unsubscribers.length + this.listenerCount();
  }

  /**
   * Validates the offer and returns the complete answer SDP. Throws RostraError: `invalid_sdp`,
   * `unsupported_codec`, `payload_too_large` for a bad offer; `invalid_state` if called twice or after close.
   * On any failure the peer is closed.
   */
  async answer(offer: string | Uint8Array | SdpOffer): Promise<string> {
    if (this.#state !== 'new')
      throw new RostraError('invalid_state', 'This speaker session already answered.');
    this.#state = 'connecting';
    let parsed: SdpOffer;
    try {
      parsed =
        typeof offer === 'object' && 'sdp' in offer ? offer : parseSdpOffer(offer, this.#opts.sdpLimits);
    } catch (err) {
      void this.close('answer_failed');
      throw err;
    }
    this.#offer = parsed;
    this.#connectTimer = setTimeout(() => void this.close('connect_timeout'), this.#opts.connectTimeoutMs);
    this.#subscribeConnection();
    try {
      await this.#untilClosed(
        this.#pc.setRemoteDescription({ type: 'offer', sdp: withoutCandidates(parsed.sdp) }),
      );
      const transceiver = this.#pc.getTransceivers().find((t) => t.kind === 'audio');
      if (!transceiver) throw new Error('werift made no audio transceiver');
      this.#transceiver = transceiver;
      transceiver.setDirection(parsed.audio.direction === 'sendrecv' ? 'sendrecv' : 'recvonly');
      clearStunFallback(this.#pc);
      followHighestNomination(this.#pc);
      const answer = await this.#untilClosed(this.#pc.createAnswer());
      await this.#untilClosed(this.#pc.setLocalDescription(answer));
      const sdp = this.#pc.localDescription?.sdp;
      if (!sdp) throw new Error('werift produced no local description');
      return sdp;
    } catch (err) {
      if (this.#closeReason !== undefined) {
        throw new RostraError(
          this.#closeReason === 'room_closed' ? 'space_ended' : 'invalid_state',
          `The speaker session closed while answering (${this.#closeReason ?? 'closed'}).`,
        );
      }
      log.warn({ err, speakerId: this.speakerId }, 'werift could not answer a valid offer');
      void this.close('answer_failed');
      throw new RostraError('invalid_sdp', 'Invalid SDP offer: it could not be answered.');
    }
  }

  /**
   * Sends one Opus frame to the speaker. Returns false (and drops it) unless connected: werift would drop
   * RTP written before DTLS connects anyway. werift rewrites ssrc, payload type and seq/timestamp offsets.
   */
  send(opus: Uint8Array, rtpTimestamp: number): boolean {
    const sender = this.#transceiver?.sender;
    if (this.#state !== 'connected' || !sender || this.#offer?.audio.direction !== 'sendrecv') {
      this.#stats.sendsRefused += 1;
      return false;
    }
    this.#seq = (this.#seq + 1) & 0xffff;
    const header = new RtpHeader({ sequenceNumber: this.#seq, timestamp: rtpTimestamp >>> 0, marker: false });
    const payload = Buffer.from(opus.buffer, opus.byteOffset, opus.byteLength);
    this.#stats.packetsSent += 1;
    sender.sendRtp(new RtpPacket(header, payload)).catch((err: unknown) => {
      log.debug({ err, speakerId: this.speakerId }, 'sendRtp failed');
    });
    return true;
  }

  /**
   * Closes the peer (idempotent): stops every timer and listener, emits `closed` once, releases werift's
   * sockets. The returned promise settles when the sockets are released.
   */
  close(reason: SpeakerCloseReason = 'left'): Promise<void> {
    if (this.#released) return this.#released;
    const wasConnected = this.#state === 'connected';
    this.#state = 'closed';
    this.#closeReason = reason;
    clearTimeout(this.#connectTimer);
    clearInterval(this.#inactivityTimer);
    this.#connectTimer = undefined;
    this.#inactivityTimer = undefined;
    for (const unsubscribe of this.#unsubscribers.splice(0)) unsubscribe();
    this.#wakeClosed?.();
    this.#released = this.#pc.close().catch((err: unknown) => {
      log.warn({ err, speakerId: this.speakerId }, 'werift close failed');
    });
    const level = reason === 'left' || reason === 'removed' || reason === 'replaced' ? 'debug' : 'info';
    log[level]({ speakerId: this.speakerId, session: this.id, reason, wasConnected }, 'speaker peer closed');
    this.emit('closed', reason);
    this.removeAllListeners();
    return this.#released;
  }

  /** Races a werift call against close(): werift never settles a description call once closed. */
  async #untilClosed<T>(work: Promise<T>): Promise<T> {
    const closed = this.#closedSignal.then(() => {
      throw new Error('closed');
    });
    closed.catch(() => undefined);
    return Promise.race([work, closed]);
  }

  #subscribeConnection(): void {
    const pc = this.#pc;
    const subs = [
      pc.connectionStateChange.subscribe((state) => {
        if (state === 'connected') this.#onConnected();
        else if (state === 'failed') {
          void this.close(pc.iceConnectionState === 'failed' ? 'ice_failed' : 'dtls_failed');
        } else if (state === 'closed') void this.close('connection_closed');
        else log.debug({ speakerId: this.speakerId, state }, 'connection state');
      }),
      pc.iceConnectionStateChange.subscribe((state) => {
        if (state === 'failed') void this.close('ice_failed');
      }),
      pc.onTrack.subscribe((track) => {
        const rtp = track.onReceiveRtp.subscribe((packet, extensions) => this.#onRtp(packet, extensions));
        const rtcp = track.onReceiveRtcp.subscribe(() => (this.#lastActivityMs = performance.now()));
        this.#unsubscribers.push(rtp.unSubscribe, rtcp.unSubscribe);
      }),
    ];
    for (const sub of subs) this.#unsubscribers.push(sub.unSubscribe);
  }

  #onConnected(): void {
    if (this.#state !== 'connecting') return;
    this.#state = 'connected';
    clearTimeout(this.#connectTimer);
    this.#connectTimer = undefined;
    this.#lastActivityMs = performance.now();
    const idleMs = this.#opts.inactivityTimeoutMs;
    if (idleMs > 0) {
      this.#inactivityTimer = setInterval(
        () => {
          if (performance.now() - this.#lastActivityMs > idleMs) void this.close('inactive');
        },
        Math.max(100, Math.floor(idleMs / 4)),
      );
    }
    log.debug({ speakerId: this.speakerId, session: this.id }, 'speaker peer connected');
    this.emit('connected');
  }

  #onRtp(rtp: RtpPacket, extensions: Extensions | undefined): void {
    const arrivalMs = performance.now();
    this.#lastActivityMs = arrivalMs;
    this.#stats.packetsReceived += 1;
    if (
      this.#muted ||
      rtp.header.payloadType !== this.#offer?.audio.opusPayloadType ||
      rtp.payload.length === 0
    ) {
      this.#stats.packetsDropped += 1;
      return;
    }
    const level = (extensions?.[AUDIO_LEVEL_URI] as { level?: unknown } | undefined)?.level;
    const audioLevel = typeof level === 'number' && level >= 0 && level <= 127 ? level : undefined;
    if (audioLevel !== undefined) this.#lastAudioLevel = audioLevel;
    const packet: OpusPacket = {
      sequence: rtp.header.sequenceNumber,
      timestamp: rtp.header.timestamp,
      arrivalMs,
      payload: rtp.payload,
      ...(audioLevel !== undefined ? { audioLevel } : {}),
    };
    this.emit('packet', packet);
  }
}

/**
 * The offer without its ICE candidates. An ICE-lite agent never sends checks, so it has no use for them: it
 * learns the client's address from the client's own checks. Handing them to werift would make it resolve
 * hostnames and mDNS `.local` names (a multicast socket and a 10 s timer per peer, and lookups of names an
 * untrusted client chose).
 */
function withoutCandidates(sdp: string): string {
  return sdp
    .split('\r\n')
    .filter((line) => !line.startsWith('a=candidate:'))
    .join('\r\n');
}
