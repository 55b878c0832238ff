/**
 * Publishing to the stage over WHIP (RFC 9725), non-trickle: one sendrecv Opus transceiver carries the
 * mic up and the server's mix-minus (everyone else) down. POST the complete offer (after ICE gathering,
 * or a short timeout), get 201 + answer + Location; DELETE Location ends the session.
 */
import { errorFrom } from '../api/ApiClient.js';
import { ApiError } from '../api/ApiError.js';
import { createAudioElement, playUntilPlaying, removeAudioElement } from './AudioOutput.js';

export interface WhipOptions {
  /** POST target, e.g. /api/v1/spaces/:id/whip. */
  endpoint: string;
  token: string;
  /** The mic; its first audio track is sent. The caller owns (and stops) the stream. */
  mic: MediaStream;
  /** Longest wait for ICE gathering before the offer goes out anyway. Default 1500 ms. */
  gatherTimeoutMs?: number;
  /** The connection failed or closed after it had worked. */
  onFailed?: (reason: string) => void;
}

/** How long "disconnected" may last before the session counts as lost. */
const DISCONNECTED_GRACE_MS = 4000;

export type WhipState = 'new' | 'connecting' | 'connected' | 'closed';

export class WhipSession {
  readonly el: HTMLAudioElement;
  readonly #opts: WhipOptions;
  readonly #pc: RTCPeerConnection;
  #resource: string | null = null;
  #state: WhipState = 'new';
  #remote: MediaStream | null = null;
  #disconnectTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(opts: WhipOptions) {
    this.#opts = opts;
    this.el = createAudioElement('webrtc');
    this.#pc = new RTCPeerConnection({ bundlePolicy: 'max-bundle', rtcpMuxPolicy: 'require' });
    this.#pc.ontrack = (e) => {
      this.#remote = e.streams[0] ?? new MediaStream([e.track]);
      this.el.srcObject = this.#remote;
    };
    this.#pc.onconnectionstatechange = () => {
      const s = this.#pc.connectionState;
      this.el.dataset.state = s; // visible in devtools and to tests
      if (s === 'connected') this.#state = 'connected';
      // A server that went away leaves the connection "disconnected" for long before "failed": give a
      // blip a few seconds, then treat it as failed, so the mic can reconnect (to the restarted server).
      clearTimeout(this.#disconnectTimer);
      if (s === 'disconnected' && this.#state === 'connected')
        this.#disconnectTimer = setTimeout(() => {
          if (this.#pc.connectionState !== 'disconnected' || this.#state === 'closed') return;
          this.close();
          this.#opts.onFailed?.('The audio connection was lost.');
        }, DISCONNECTED_GRACE_MS);
      if ((s === 'failed' || s === 'closed') && this.#state !== 'closed') {
        this.close();
        this.#opts.onFailed?.(
          s === 'failed' ? 'The audio connection failed.' : 'The audio connection closed.',
        );
      }
    };
  }

  get state(): WhipState {
    return this.#state;
  }

  /**
   * Negotiates and waits for ICE + DTLS (throws if they do not connect within connectTimeoutMs), then
   * resolves once the mix-minus plays (true) or after playTimeoutMs without sound (false).
   */
  async start(connectTimeoutMs = 10_000, playTimeoutMs = 4000): Promise<boolean> {
    if (this.#state !== 'new') throw new TypeError('WhipSession.start() called twice');
    this.#state = 'connecting';
    const track = this.#opts.mic.getAudioTracks()[0];
    if (!track) throw new TypeError('WhipSession needs a stream with an audio track');
    const transceiver = this.#pc.addTransceiver(track, { direction: 'sendrecv', streams: [this.#opts.mic] });
    preferOpus(transceiver);
    await this.#pc.setLocalDescription(await this.#pc.createOffer());
    await gathered(this.#pc, this.#opts.gatherTimeoutMs ?? 1500);
    const offer = this.#pc.localDescription?.sdp;
    if (offer === undefined) throw new TypeError('no local description after setLocalDescription');

    let res: Response;
    try {
      res = await fetch(this.#opts.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/sdp', authorization: `Bearer ${this.#opts.token}` },
        body: offer,
      });
    } catch (err) {
      this.close();
      throw ApiError.network(err);
    }
    if (res.status !== 201) {
      this.close();
      throw await errorFrom(res);
    }
    const location = res.headers.get('location');
    if (location !== null) this.#resource = new URL(location, this.#opts.endpoint).toString();
    const answer = await res.text();
    if (this.state === 'closed') return false; // closed while we waited
    await this.#pc.setRemoteDescription({ type: 'answer', sdp: answer });
    if (!(await connected(this.#pc, connectTimeoutMs))) {
      const where = `ICE ${this.#pc.iceConnectionState}, connection ${this.#pc.connectionState}`;
      this.close();
      throw new Error(`the audio connection did not come up (${where}).`);
    }
    return playUntilPlaying(this.el, playTimeoutMs);
  }

  /** Local mute: nothing leaves the mic. Server-side mute goes through the API (mute/unmute routes). */
  setMicEnabled(on: boolean): void {
    for (const t of this.#opts.mic.getAudioTracks()) t.enabled = on;
  }

  /** Idempotent: DELETE the WHIP resource, close the connection, remove the element. */
  close(): void {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    if (this.#resource !== null) {
      void fetch(this.#resource, {
        method: 'DELETE',
        headers: { authorization: `Bearer ${this.#opts.token}` },
        keepalive: true,
      }).catch((err: unknown) => console.warn('whip: DELETE of the session failed', err));
      this.#resource = null;
    }
    this.#pc.ontrack = null;
    this.#pc.onconnectionstatechange = null;
    clearTimeout(this.#disconnectTimer);
    this.#pc.close();
    removeAudioElement(this.el);
  }
}

function preferOpus(transceiver: RTCRtpTransceiver): void {
  const caps =
    typeof RTCRtpReceiver.getCapabilities === 'function' ? RTCRtpReceiver.getCapabilities('audio') : null;
  const opus = caps?.codecs.filter((c) => c.mimeType.toLowerCase() === 'audio/opus') ?? [];
  if (opus.length > 0 && typeof transceiver.setCodecPreferences === 'function')
    transceiver.setCodecPreferences(opus);
}

function connected(pc: RTCPeerConnection, timeoutMs: number): Promise<boolean> {
  if (pc.connectionState === 'connected') return Promise.resolve(true);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      clearTimeout(timer);
      pc.removeEventListener('connectionstatechange', check);
      resolve(ok);
    };
    const check = () => {
      if (pc.connectionState === 'connected') done(true);
      else if (pc.connectionState === 'failed' || pc.connectionState === 'closed') done(false);
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    pc.addEventListener('connectionstatechange', check);
  });
}

function gathered(pc: RTCPeerConnection, timeoutMs: number): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      pc.removeEventListener('icegatheringstatechange', check);
      resolve();
    };
    const check = () => {
      if (pc.iceGatheringState === 'complete') done();
    };
    const timer = setTimeout(done, timeoutMs);
    pc.addEventListener('icegatheringstatechange', check);
  });
}
