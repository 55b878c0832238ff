/**
 * A slow, lossy link on loopback, emulated in user space: a TCP relay that holds every segment's worth of
 * bytes for half the round trip in each direction, and stalls the stream, in order, for a retransmission
 * timeout when a segment is "lost". This kernel has no `sch_netem` (tc answers "Specified qdisc kind is
 * unknown"), so `tc netem` in a network namespace cannot be used here; the relay gives the same effects on
 * an HTTP stream: +RTT per exchange, and head-of-line stalls on loss.
 *
 * Loss model: each 1,448-byte segment is lost with probability `loss`; a lost segment arrives after
 * max(200 ms, 2 × RTT) more (Linux's minimum RTO, or the tail-loss probe at 2 × SRTT), and everything
 * behind it waits for it, as TCP delivers in order. ACKs are not modelled.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

const MSS = 1448;

export interface LossyLinkOptions {
  /** Where the relay forwards to, on 127.0.0.1. */
  targetPort: number;
  /** Round-trip time added, ms. */
  rttMs: number;
  /** Probability that a segment is lost (0..1). */
  loss: number;
  /** Seed of the loss pattern, so runs compare. */
  seed?: number;
}

export class LossyLink {
  readonly port: number;
  readonly #server: Server;
  readonly #sockets: Set<Socket>;
  readonly #stats: { segments: number; lost: number };

  private constructor(
    server: Server,
    port: number,
    sockets: Set<Socket>,
    stats: { segments: number; lost: number },
  ) {
    this.#server = server;
    this.port = port;
    this.#sockets = sockets;
    this.#stats = stats;
  }

  static async open(opts: LossyLinkOptions): Promise<LossyLink> {
    const random = mulberry32(opts.seed ?? 1);
    const oneWay = opts.rttMs / 2;
    const rto = Math.max(200, 2 * opts.rttMs);
    const sockets = new Set<Socket>();
    const stats = { segments: 0, lost: 0 };
    const server = createServer((client) => {
      const upstream = connect(opts.targetPort, '127.0.0.1');
      for (const s of [client, upstream]) {
        sockets.add(s);
        s.setNoDelay(true);
        s.on('close', () => sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      // One FIFO and one timer per direction: bytes leave strictly in order (separate timers per slice
      // could fire out of order, as timers round to whole milliseconds).
      const pipe = (from: Socket, to: Socket) => {
        const queue: { due: number; bytes: Buffer }[] = [];
        let lastDue = 0;
        let timer: NodeJS.Timeout | undefined;
        let ended = false;
        const drain = () => {
          timer = undefined;
          const now = performance.now();
          while (queue.length > 0 && (queue[0] as { due: number }).due <= now) {
            const head = queue.shift() as { bytes: Buffer };
            if (to.writable) to.write(head.bytes);
          }
          if (queue.length > 0) timer = setTimeout(drain, (queue[0] as { due: number }).due - now);
          else if (ended) to.end();
        };
        from.on('data', (chunk: Buffer) => {
          const now = performance.now();
          for (let at = 0; at < chunk.length; at += MSS) {
            let due = Math.max(now + oneWay, lastDue);
            stats.segments++;
            if (random() < opts.loss) {
              due += rto;
              stats.lost++;
            }
            lastDue = due;
            queue.push({ due, bytes: chunk.subarray(at, at + MSS) });
          }
          timer ??= setTimeout(drain, (queue[0] as { due: number }).due - now);
        });
        from.on('end', () => {
          ended = true;
          timer ??= setTimeout(drain, 0);
        });
        from.on('close', () => clearTimeout(timer));
      };
      pipe(client, upstream);
      pipe(upstream, client);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return new LossyLink(server, (server.address() as { port: number }).port, sockets, stats);
  }

  /** Segments relayed, and how many of them were "lost". */
  get stats(): { segments: number; lost: number } {
    return { ...this.#stats };
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((r) => this.#server.close(() => r()));
  }
}

/** A small seeded PRNG (mulberry32): the same loss pattern on every run. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
