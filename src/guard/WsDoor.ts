/**
 * The WebSocket door: before an upgrade is accepted, the address must be under its connect rate (in the
 * Bus) and under the open-socket caps (per address and per node, in this process), and the upgrade's
 * own work then waits its turn in the newcomer line. A refusal is a plain HTTP answer on the raw socket,
 * coded like every other, with Retry-After.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { isRostraError, RostraError } from '../errors/index.js';
import { logger } from '../log/Logger.js';
import { prefixOf } from './ClientAddress.js';
import type { Guard } from './Guard.js';
import { NEWCOMER_LINE_FULL } from './NewcomerDoor.js';
import { ASYNC_WORK_CHARGE_MS } from './NewcomerLine.js';

const log = logger('guard.ws');

/**
 * Admits an upgrade and calls `complete` in its turn with the socket still open (its place in the caps
 * is released when it closes), or refuses the socket, coded.
 */
export async function admitWebSocket(
  guard: Guard,
  req: IncomingMessage,
  socket: Duplex,
  complete: () => void,
): Promise<void> {
  // node:http takes its error listener off an upgraded socket; until ws puts its own on, a reset while
  // the admission waits (a Bus round trip with Redis) would be an uncaught 'error'.
  const onError = (): void => void socket.destroy();
  socket.on('error', onError);
  const admitted = await admit(guard, req, socket);
  if (!admitted) return;
  if (socket.destroyed) {
    admitted(); // the client left while it was admitted: its 'close' may have passed already
    return;
  }
  socket.once('close', admitted);
  // The upgrade's own work waits its turn behind the people already in (NewcomerLine).
  const entered = guard.newcomers.enter(() => {
    if (socket.destroyed) return; // the client left while it waited
    socket.off('error', onError);
    complete();
  }, ASYNC_WORK_CHARGE_MS);
  if (!entered) refuse(socket, NEWCOMER_LINE_FULL);
}

async function admit(guard: Guard, req: IncomingMessage, socket: Duplex): Promise<(() => void) | undefined> {
  const ip = guard.address.of(req);
  try {
    const junkMs = guard.junk.blockedFor(ip, Date.now());
    if (junkMs > 0) {
      throw new RostraError('rate_limited', 'Too many refused requests from your network. Retry later.', {
        retryAfter: Math.ceil(junkMs / 1000),
      });
    }
    await guard.limits.take([guard.rules.wsIp, ip], [guard.rules.wsNet, prefixOf(ip)]);
    const release = guard.websockets.enter(ip);
    if (!release) {
      throw new RostraError('rate_limited', 'Too many open connections from your network.', {
        retryAfter: 10,
        details: { reason: 'rate_limited', limit: 'websockets', scope: 'address' },
      });
    }
    return release;
  } catch (err) {
    const coded = isRostraError(err) ? err : new RostraError('internal');
    if (!isRostraError(err)) log.error({ err }, 'WebSocket admission failed');
    refuse(socket, coded);
    return undefined;
  }
}

function refuse(socket: Duplex, err: RostraError): void {
  if (socket.destroyed) return;
  const body = JSON.stringify(err.toBody());
  const reason = err.status === 429 ? 'Too Many Requests' : 'Service Unavailable';
  socket.end(
    `HTTP/1.1 ${err.status} ${reason}\r\n` +
      'content-type: application/json\r\n' +
      `content-length: ${Buffer.byteLength(body)}\r\n` +
      (err.retryAfter !== undefined ? `retry-after: ${err.retryAfter}\r\n` : '') +
      'connection: close\r\n\r\n' +
      body,
  );
  // The answer gets a moment to leave; a client that never reads it does not hold the socket.
  setTimeout(() => socket.destroy(), 1000).unref();
}
