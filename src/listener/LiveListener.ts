/**
 * A headless LL-HLS player: joins (ticket + heartbeats), reads the multivariant then the media playlist
 * with blocking reloads for the next part (`_HLS_msn`/`_HLS_part`), fetches the init segment and every
 * part in order, demuxes and decodes the Opus, and measures what a listener would hear (AudioAnalyzer) and
 * whether playback would have stalled (StallMeter: by wall time without new audio, and on every jump of
 * the media sequence, so an origin restart or a freeze cannot hide). It starts PART-HOLD-BACK behind the
 * live edge, as hls.js does. It always asks for full playlists: they are small, and it keeps the reader
 * simple.
 * It also plays a replay (VOD): every segment from the start, as fast as it downloads.
 */
import { TICKET_COOKIE } from '../contract/index.js';
import { AudioAnalyzer, type DelayStats, type PulseReference } from './AudioAnalyzer.js';
import { demuxFragments, parseOpusInit } from './Fmp4Demux.js';
import {
  comparePos,
  firstVariant,
  listedParts,
  parseMediaPlaylist,
  type MediaPlaylist,
  type PartPosition,
} from './HlsPlaylist.js';
import { failure, ListenError, parseListenTarget, SpaceApi } from './ListenTarget.js';
import { StallMeter } from './StallMeter.js';

export interface ListenOptions {
  /** A space page, a replay page, or a playlist URL. */
  readonly url: string;
  /** Stop after this long. */
  readonly seconds: number;
  readonly reference?: PulseReference;
  /** Called about once a second with the figures so far. */
  readonly onProgress?: (report: ListenReport) => void;
  /** Epoch ms. Default performance.timeOrigin + performance.now() (monotonic, in Date.now's frame). */
  readonly now?: () => number;
  readonly fetch?: typeof fetch;
  readonly signal?: AbortSignal;
}

export interface ListenReport {
  /** Dominant frequencies, loudest first (Hz, ±2). */
  readonly frequencies: number[];
  /** RMS level re a full-scale sine, dBFS; null before any audio. */
  readonly levelDbfs: number | null;
  readonly stalls: number;
  /** Seconds of wall time that playback stood still in stalls (an open one counts up to now). */
  readonly stalledSeconds: number;
  readonly parts: number;
  readonly pulses: number;
  readonly delayMs: DelayStats | null;
  readonly delayReference: PulseReference['kind'];
  /** Seconds of audio received. */
  readonly audioSeconds: number;
  /** Seconds of it that were digital silence, and the longest unbroken stretch of that. */
  readonly silentSeconds: number;
  readonly longestSilenceSeconds: number;
  readonly ended: boolean;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

export class LiveListener {
  readonly #opts: ListenOptions;
  readonly #fetch: typeof fetch;
  readonly #now: () => number;
  readonly #stop = new AbortController();
  #analyzer: AudioAnalyzer | undefined;
  #stalls: StallMeter | undefined;
  #parts = 0;
  #audioSamples = 0;
  #ended = false;
  #ticket: string | undefined;

  constructor(opts: ListenOptions) {
    if (!(opts.seconds > 0)) throw new TypeError('seconds must be > 0');
    this.#opts = opts;
    this.#fetch = opts.fetch ?? fetch;
    this.#now = opts.now ?? (() => performance.timeOrigin + performance.now());
  }

  report(): ListenReport {
    const a = this.#analyzer;
    const level = a?.spectrum.levelDbfs;
    const now = this.#now();
    this.#stalls?.tick(now);
    const tenths = (samples: number) => Math.round((samples / 48_000) * 10) / 10;
    return {
      frequencies: a?.spectrum.peaks().map((p) => p.frequencyHz) ?? [],
      levelDbfs: level !== undefined && Number.isFinite(level) ? Math.round(level * 10) / 10 : null,
      stalls: this.#stalls?.count ?? 0,
      stalledSeconds: Math.round((this.#stalls?.stalledMs(now) ?? 0) / 100) / 10,
      parts: this.#parts,
      pulses: a?.onsets.length ?? 0,
      delayMs: a?.delay() ?? null,
      delayReference: this.#opts.reference?.kind ?? 'pdt',
      audioSeconds: this.#audioSamples / 48_000,
      silentSeconds: tenths(a?.silentSamples ?? 0),
      longestSilenceSeconds: tenths(a?.longestSilence ?? 0),
      ended: this.#ended,
    };
  }

  /** Plays until `seconds` pass, the stream ends, or the signal aborts; returns the final report. */
  async run(): Promise<ListenReport> {
    const target = parseListenTarget(this.#opts.url);
    const api = new SpaceApi(target, this.#fetch);
    const timer = setTimeout(() => this.#stop.abort(), this.#opts.seconds * 1000);
    const progress = setInterval(() => this.#opts.onProgress?.(this.report()), 1000);
    this.#opts.signal?.addEventListener('abort', () => this.#stop.abort(), { once: true });
    let heartbeat: NodeJS.Timeout | undefined;
    try {
      let playlistUrl: string;
      if (target.kind === 'live') {
        const admission = await api.join();
        this.#ticket = admission.ticket;
        playlistUrl = target.playlistUrl ?? admission.playlistUrl;
        heartbeat = setInterval(() => {
          if (!this.#ticket) return;
          api.heartbeat(this.#ticket).then(
            (t) => (this.#ticket = t),
            (err: unknown) => process.emitWarning(`rostra listen: ${(err as Error).message}`),
          );
        }, admission.heartbeatSeconds * 1000);
      } else {
        playlistUrl = target.playlistUrl ?? (await api.replay());
      }
      await this.#play(playlistUrl);
    } catch (err) {
      if (!this.#stop.signal.aborted || err instanceof ListenError) throw err;
    } finally {
      clearTimeout(timer);
      clearInterval(progress);
      clearInterval(heartbeat);
      this.#stop.abort();
      if (this.#ticket) await api.leave(this.#ticket).catch(() => undefined); // best effort: not counted now
    }
    return this.report();
  }

  async #get(url: string, what: string): Promise<Response> {
    const headers: Record<string, string> = {};
    if (this.#ticket && new URL(url).pathname.startsWith('/live/'))
      headers.cookie = `${TICKET_COOKIE}=${this.#ticket}`;
    const res = await this.#fetch(url, { headers, signal: this.#stop.signal });
    if (!res.ok) throw await failure(res, what);
    return res;
  }

  async #bytes(url: string): Promise<Uint8Array> {
    return new Uint8Array(await (await this.#get(url, `GET ${new URL(url).pathname}`)).arrayBuffer());
  }

  async #play(url: string): Promise<void> {
    let mediaUrl = url;
    const first = await (await this.#get(url, 'The playlist is not available')).text();
    const variant = firstVariant(first);
    let pl: MediaPlaylist;
    if (variant !== undefined) {
      mediaUrl = new URL(variant, url).href;
      pl = parseMediaPlaylist(
        await (await this.#get(mediaUrl, 'The media playlist is not available')).text(),
      );
    } else {
      pl = parseMediaPlaylist(first);
    }
    if (!pl.map) throw new ListenError('The playlist has no EXT-X-MAP: not fragmented MP4.');
    const init = parseOpusInit(await this.#bytes(new URL(pl.map, mediaUrl).href));
    if (init.timescale !== 48_000) throw new ListenError(`Unexpected timescale ${init.timescale}.`);
    this.#analyzer = new AudioAnalyzer({
      preSkip: init.preSkip,
      ...(this.#opts.reference ? { reference: this.#opts.reference } : {}),
    });
    this.#stalls = new StallMeter({ partTargetS: pl.partTarget ?? pl.targetDuration });
    // The wall clock counts a freeze even when no part ever arrives (e.g. reloads that keep failing).
    const ticker = setInterval(() => this.#stalls?.tick(this.#now()), 250);
    try {
      await this.#follow(pl, mediaUrl);
    } finally {
      clearInterval(ticker);
    }
  }

  async #follow(first: MediaPlaylist, mediaUrl: string): Promise<void> {
    let pl = first;
    let want = this.#startAt(pl);
    while (!this.#stop.signal.aborted) {
      // A replay downloads faster than it plays: --seconds counts its audio, not the wall clock.
      if (pl.endList && this.#audioSamples >= this.#opts.seconds * 48_000) return;
      const part = listedParts(pl).find((p) => p.msn === want.msn && p.index === want.index);
      const seg = pl.segments.find((s) => s.msn === want.msn);
      if (part) {
        try {
          await this.#consume(new URL(part.uri, mediaUrl).href, part.pdtMs, 0);
        } catch (err) {
          // A part listed a moment ago is gone with its origin (the node that ran the space died): ask
          // for the playlist again, as a player would, and go on from what it lists then.
          if (this.#stop.signal.aborted || !transient(err)) throw err;
          pl = await this.#reload(mediaUrl, pl, want);
          continue;
        }
        want = { msn: want.msn, index: want.index + 1 };
      } else if (seg && seg.parts.length > 0) {
        want = { msn: want.msn + 1, index: 0 }; // past its last part
      } else if (seg) {
        // Older than the low-latency window (or a VOD): the whole segment, minus parts already played.
        await this.#consume(new URL(seg.uri, mediaUrl).href, seg.pdtMs, want.index);
        want = { msn: want.msn + 1, index: 0 };
      } else if (pl.endList) {
        this.#ended = true;
        return;
      } else {
        const oldest = pl.segments[0]?.msn ?? listedParts(pl)[0]?.msn;
        if (oldest !== undefined && want.msn < oldest) {
          // Fell out of the window: the parts in between are lost. A jump, so a stall.
          this.#stalls?.discontinuity();
          want = this.#startAt(pl);
          continue;
        }
        if (comparePos(want, nextPosition(pl)) > 0) {
          // The origin's media sequence is behind what we already played: it restarted and numbered
          // its parts anew. Rejoin at its live edge; the outage is a stall whatever the numbers say.
          this.#stalls?.discontinuity();
          want = this.#startAt(pl);
          continue;
        }
        pl = await this.#reload(mediaUrl, pl, want);
      }
    }
  }

  /** PART-HOLD-BACK (default 3 part targets) behind the live edge; the first segment of a VOD. */
  #startAt(pl: MediaPlaylist): { msn: number; index: number } {
    const parts = listedParts(pl);
    if (pl.endList || parts.length === 0) {
      const seg = pl.endList ? pl.segments[0] : pl.segments[pl.segments.length - 1];
      return { msn: seg?.msn ?? pl.mediaSequence, index: 0 };
    }
    const holdBack = pl.partHoldBack ?? 3 * (pl.partTarget ?? 1);
    let i = parts.length;
    let covered = 0;
    while (i > 0 && covered < holdBack - 1e-6) covered += (parts[--i] as { duration: number }).duration;
    const start = parts[i] as { msn: number; index: number };
    return { msn: start.msn, index: start.index };
  }

  /** A blocking reload for the part we want next; tolerant of the origin giving up (503) or a 400. */
  async #reload(
    mediaUrl: string,
    pl: MediaPlaylist,
    want: PartPosition,
    mayBlock = true,
  ): Promise<MediaPlaylist> {
    const url = new URL(mediaUrl);
    // Block only for the part the playlist says comes next; for any other position (a restarted origin
    // answers 400 to an MSN it has not reached) read the playlist as it is, a part target later.
    const blocking = mayBlock && pl.canBlockReload && comparePos(want, nextPosition(pl)) === 0;
    if (blocking) {
      url.searchParams.set('_HLS_msn', String(want.msn));
      url.searchParams.set('_HLS_part', String(want.index));
    } else {
      await sleep((pl.partTarget ?? pl.targetDuration) * 1000, this.#stop.signal);
    }
    try {
      const res = await this.#fetch(url, {
        headers: this.#ticket ? { cookie: `${TICKET_COOKIE}=${this.#ticket}` } : {},
        signal: this.#stop.signal,
      });
      if (res.ok) return parseMediaPlaylist(await res.text());
      if (res.status === 403 || res.status === 404 || res.status === 410)
        throw await failure(res, 'Playback stopped');
      await res.body?.cancel();
      // 400: the origin does not know the position we block on (it restarted): read what it has now.
      if (blocking && res.status === 400) return await this.#reload(mediaUrl, pl, want, false);
    } catch (err) {
      if (err instanceof ListenError || this.#stop.signal.aborted) throw err;
      // A network error: wait a moment and ask again, as a player would.
    }
    if (blocking) await sleep(100, this.#stop.signal);
    return pl;
  }

  /** Fetches a part or segment, then counts and analyses its fragments (after skipping `skip` of them). */
  async #consume(url: string, pdtMs: number | undefined, skip: number): Promise<void> {
    const bytes = await this.#bytes(url);
    const arrivalMs = this.#now();
    const all = demuxFragments(bytes);
    const base = all[0]?.baseDecodeTime ?? 0; // the PDT given is that of the first fragment
    for (const f of all.slice(skip)) {
      const samples = f.samples.reduce((a, s) => a + s.duration, 0);
      this.#stalls?.onAudio(arrivalMs, samples / 48_000);
      const pdt = pdtMs === undefined ? undefined : pdtMs + ((f.baseDecodeTime - base) / 48_000) * 1000;
      this.#analyzer?.push(f, arrivalMs, pdt);
      this.#audioSamples += samples;
      this.#parts += 1;
    }
  }
}

/** The position after the last part or segment a playlist lists: what a blocking reload waits for. */
function nextPosition(pl: MediaPlaylist): PartPosition {
  if (pl.preloadHint) return pl.preloadHint;
  const pending = pl.pendingParts[0];
  if (pending) return { msn: pending.msn, index: pl.pendingParts.length };
  const last = pl.segments[pl.segments.length - 1];
  return { msn: last ? last.msn + 1 : pl.mediaSequence, index: 0 };
}

/** A network error, or the origin's 5xx: worth asking again. */
function transient(err: unknown): boolean {
  if (err instanceof ListenError) return (err.info.status ?? 0) >= 500;
  return err instanceof TypeError; // fetch's network failure
}
