/**
 * Bytes and requests per listener per second at 0.2, 0.5 and 1 s parts (32 kbps Opus, default 4 s
 * segments): part bodies, delta-update playlist bodies and HTTP response headers measured on the wire
 * from a live in-process node with a bot speaker; request headers as a browser (hls.js) sends them.
 * Reference in the same run: the Opus payload alone (bitrate ÷ 8).
 *
 * Run: npm run bench -- bytes
 */
import { connect } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { SpeakerBot } from '../src/bot/index.js';
import { listedParts, parseMediaPlaylist } from '../src/listener/index.js';
import { openTestNode, signUp } from '../src/testing/TestNode.js';
import { writeSummary } from './summary.js';
import { fmt, median, printTable } from './lib.js';

/** A browser's GET for a part: Chromium's usual headers plus the ticket cookie (~180 B). */
const BROWSER_REQUEST_BYTES = 620;

/** One GET on a fresh socket; returns header and body sizes as they crossed the wire. */
function rawGet(
  port: number,
  path: string,
  cookie: string,
  gzip = false,
): Promise<{ head: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', reject);
    s.on('end', () => {
      const all = Buffer.concat(chunks);
      const split = all.indexOf('\r\n\r\n');
      resolve({ head: split + 4, body: all.subarray(split + 4) });
    });
    s.write(
      `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: rostra_ticket=${cookie}\r\n` +
        (gzip ? 'Accept-Encoding: gzip, deflate, br, zstd\r\n' : '') +
        'Connection: close\r\n\r\n',
    );
  });
}

const rows: string[][] = [
  [
    'per listener, 32 kbps Opus',
    'part B',
    'playlist B',
    'gzip B',
    'resp hdr B',
    'req/s',
    'down B/s',
    'up B/s',
    'down ÷ Opus',
  ],
];
let opusBytesPerS = 0;
for (const partMs of [200, 500, 1000]) {
  const node = await openTestNode({ webDist: null, config: { media: { partTargetMs: partMs } } });
  await node.listen();
  const port = node.http.port;
  const base = `http://127.0.0.1:${port}`;
  const host = await signUp(node, 'host');
  const id = (await host.client.post<{ id: string }>('/api/v1/spaces', { title: 'Bytes' })).body.id;
  const bot = new SpeakerBot({
    whipUrl: `${base}/api/v1/spaces/${id}/whip`,
    token: host.token,
    audio: { kind: 'tone', frequencyHz: 440, levelDbfs: -12 },
  });
  try {
    await bot.start();
    opusBytesPerS = node.config.media.bitrate / 8;
    const listen = await fetch(`${base}/api/v1/spaces/${id}/listen`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    const { ticket } = (await listen.json()) as { ticket: string };
    // Let the live window fill (≥ 3 target durations) so the playlist has its steady size.
    await new Promise((r) => setTimeout(r, 14_000));
    const partSizes: number[] = [];
    const listSizes: number[] = [];
    const gzipSizes: number[] = [];
    const heads: number[] = [];
    for (let i = 0; i < 8; i++) {
      const plain = await rawGet(port, `/live/${id}/audio.m3u8`, ticket);
      const pl = parseMediaPlaylist(plain.body.toString());
      const hint = pl.preloadHint ?? { msn: 0, index: 0 };
      const reload = await rawGet(
        port,
        `/live/${id}/audio.m3u8?_HLS_msn=${hint.msn}&_HLS_part=${hint.index}&_HLS_skip=YES`,
        ticket,
      );
      const fresh = listedParts(parseMediaPlaylist(reload.body.toString())).at(-1);
      if (!fresh) continue;
      // The same answer as a browser gets it (it accepts gzip): an edge keeps this one entry.
      const gz = await rawGet(
        port,
        `/live/${id}/audio.m3u8?_HLS_msn=${hint.msn}&_HLS_part=${hint.index}&_HLS_skip=YES`,
        ticket,
        true,
      );
      if (gunzipSync(gz.body).toString() !== reload.body.toString()) throw new Error('gzip body differs');
      gzipSizes.push(gz.body.length);
      const part = await rawGet(port, `/live/${id}/${fresh.uri}`, ticket);
      listSizes.push(reload.body.length);
      partSizes.push(part.body.length);
      heads.push(gz.head, part.head);
    }
    const part = median(partSizes);
    const plainList = median(listSizes);
    const list = median(gzipSizes);
    const head = median(heads);
    const perS = 1000 / partMs;
    const down = (part + list + 2 * head) * perS;
    rows.push([
      `${partMs / 1000} s parts`,
      fmt(part),
      fmt(plainList),
      fmt(list),
      fmt(head),
      fmt(2 * perS),
      fmt(down),
      fmt(2 * BROWSER_REQUEST_BYTES * perS),
      `${fmt(down / opusBytesPerS, 2)} ×`,
    ]);
    writeSummary([
      {
        measure: `bytes down per listener, ${partMs / 1000} s parts`,
        value: `${fmt(down)} B/s, ${fmt(2 * perS)} req/s`,
        reference: `Opus payload ${fmt(opusBytesPerS)} B/s`,
        ratio: `${fmt(down / opusBytesPerS, 2)} ×`,
      },
    ]);
  } finally {
    await bot.stop();
    await node.close();
  }
}
rows.push(['reference: Opus payload alone', '', '', '', '', '', fmt(opusBytesPerS), '', '1.00 ×']);
printTable(rows);
console.log(
  `\nDown = (part + gzipped delta playlist + 2 response headers) × parts/s; one blocking reload + one part per part.` +
    `\n"playlist B" is the same delta playlist uncompressed (a client that does not accept gzip).` +
    `\nUp assumes ${BROWSER_REQUEST_BYTES} B per browser request (headers + ticket cookie); the load generator sends ~200 B.`,
);
