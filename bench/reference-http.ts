/**
 * The reference for HTTP figures: a bare node:http server that answers every request with a fixed JSON
 * body of about the size of a listener admission. Whatever Rostra adds per request is the gap to this.
 */
import { createServer } from 'node:http';

const body = JSON.stringify({
  ticket: 'x'.repeat(150),
  expiresAt: new Date().toISOString(),
  listenerId: 'a:xxxxxxxxxxxx',
  playlistUrl: 'http://localhost/live/x/index.m3u8',
  heartbeatSeconds: 15,
});
const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => console.log('ready'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
