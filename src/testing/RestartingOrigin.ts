/**
 * A scripted LL-HLS origin on loopback, on a virtual clock, for the players' outage tests: it publishes a
 * 0.5 s part per blocking reload, freezes after part 39, comes back 57 s later restarted (its segments
 * numbered from 0 instead of 100) and answers 400 to the old position; after the players have read its
 * new playlist it has nothing more, and calls `done`. Parts are one real fMP4 part of digital silence.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { opusParts } from './testSignals.js';

export const PART_MS = 500;
const PARTS_PER_SEGMENT = 4;
/** Parts published before the freeze; players join when the first 20 exist. */
export const PARTS_BEFORE_FREEZE = 40;
export const FREEZE_MS = 57_000;
export const SPACE_ID = 'space1';

function silentPart(): { init: Uint8Array; part: Uint8Array } {
  const { init, parts } = opusParts(30);
  if (!parts[0]) throw new Error('no part cut');
  return { init, part: parts[0] };
}

/** An LL-HLS playlist listing parts [0, count) of an origin whose segments are numbered from `firstMsn`. */
function playlist(firstMsn: number, count: number, startMs: number): string {
  const lines = [
    '#EXTM3U',
    '#EXT-X-VERSION:9',
    '#EXT-X-TARGETDURATION:2',
    '#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,PART-HOLD-BACK=1.5',
    '#EXT-X-PART-INF:PART-TARGET=0.5',
    `#EXT-X-MEDIA-SEQUENCE:${firstMsn}`,
    '#EXT-X-MAP:URI="init.mp4"',
    `#EXT-X-PROGRAM-DATE-TIME:${new Date(startMs).toISOString()}`,
  ];
  for (let k = 0; k < count; k++) {
    const msn = firstMsn + Math.floor(k / PARTS_PER_SEGMENT);
    lines.push(`#EXT-X-PART:DURATION=0.5,URI="part${msn}.${k % PARTS_PER_SEGMENT}.m4s",INDEPENDENT=YES`);
    if (k % PARTS_PER_SEGMENT === PARTS_PER_SEGMENT - 1) lines.push('#EXTINF:2.0,', `seg${msn}.m4s`);
  }
  const msn = firstMsn + Math.floor(count / PARTS_PER_SEGMENT);
  lines.push(`#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part${msn}.${count % PARTS_PER_SEGMENT}.m4s"`);
  return lines.join('\n') + '\n';
}

export class RestartingOrigin {
  /** The virtual clock (epoch ms): the origin moves it, the players read it. */
  now: number;
  readonly startMs: number;
  readonly requests: string[] = [];
  #server: Server;
  #era: 'before' | 'after' = 'before';
  #published = 20;
  #port = 0;
  readonly #media = silentPart();
  readonly #done: () => void;

  private constructor(startMs: number, done: () => void) {
    this.startMs = startMs;
    this.now = startMs + this.#published * PART_MS;
    this.#done = done;
    this.#server = createServer((req, res) => this.#answer(req, res));
  }

  /** Listens on loopback; `done` is called once the players have read the restarted origin's playlist. */
  static async start(done: () => void, startMs = Date.UTC(2026, 0, 1)): Promise<RestartingOrigin> {
    const origin = new RestartingOrigin(startMs, done);
    await new Promise<void>((resolve) => origin.#server.listen(0, '127.0.0.1', resolve));
    const address = origin.#server.address();
    origin.#port = typeof address === 'object' && address ? address.port : 0;
    return origin;
  }

  get port(): number {
    return this.#port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  async close(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise((resolve) => this.#server.close(resolve));
  }

  #answer(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://x');
    this.requests.push(`${req.method} ${url.pathname}${url.search}`);
    const json = (body: unknown, status = 200): void =>
      void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    req.resume();
    if (url.pathname === `/api/v1/spaces/${SPACE_ID}/listen`)
      return json({
        ticket: 'tk',
        expiresAt: new Date(this.now + 120_000).toISOString(),
        listenerId: 'l1',
        playlistUrl: `${this.url}/live/${SPACE_ID}/index.m3u8`,
        heartbeatSeconds: 15,
      });
    if (url.pathname === `/api/v1/spaces/${SPACE_ID}/heartbeat`)
      return json({ ticket: 'tk', expiresAt: new Date(this.now + 120_000).toISOString() });
    if (url.pathname.startsWith(`/api/v1/spaces/${SPACE_ID}/`)) return void res.writeHead(204).end();
    if (url.pathname.endsWith('/init.mp4')) return void res.end(this.#media.init);
    if (url.pathname.endsWith('.m4s')) return void res.end(this.#media.part);
    const block = url.searchParams.get('_HLS_msn');
    if (this.#era === 'before' && block !== null) {
      const wanted = (Number(block) - 100) * PARTS_PER_SEGMENT + Number(url.searchParams.get('_HLS_part'));
      if (wanted >= PARTS_BEFORE_FREEZE) {
        // Frozen after the last part, back FREEZE_MS later, restarted: it has no such position.
        this.now = this.startMs + PARTS_BEFORE_FREEZE * PART_MS + FREEZE_MS;
        this.#era = 'after';
        return json({ error: { code: 'bad_request', message: 'no such part' } }, 400);
      }
      // A blocking reload returns when its part exists.
      this.#published = Math.max(this.#published, wanted + 1);
      this.now = Math.max(this.now, this.startMs + this.#published * PART_MS);
    }
    if (this.#era === 'after') {
      if (block !== null) return this.#done(); // nothing more will come: the request stays open
      return void res.end(playlist(0, 4, this.now - 4 * PART_MS));
    }
    res.end(playlist(100, this.#published, this.startMs));
  }
}
