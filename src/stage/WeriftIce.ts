/**
 * werift ICE settings that never call out and advertise only chosen addresses. Shared by the server's
 * speaker peers (ICE-lite) and the WHIP client bot (full ICE).
 *
 * What werift 0.24 does by default, and how this file undoes it:
 * - It puts `stun:stun.l.google.com:19302` in `iceServers` unless told otherwise: we pass `iceServers: []`.
 * - Even then, a full-ICE `Connection` falls back to Google's STUN server when none is configured, and queries
 *   it for every IPv4 host candidate (up to 5 s per gathering when offline). An ICE-lite agent skips that
 *   query; a full agent needs `connection.stunServer = undefined` after the transport exists and before
 *   gathering (see `clearStunFallback`).
 * - It advertises every non-internal interface address. `iceUseIpv4/iceUseIpv6: false` empty that list, and
 *   `iceAdditionalHostAddresses` then become the only host candidates (one UDP socket each).
 * - `iceInterfaceAddresses` picks the address each UDP socket binds to (wildcard when unset).
 */
import { isIP } from 'node:net';
import type { PeerConfig, RTCPeerConnection } from 'werift';

export interface IceAddressOptions {
  /** Addresses written into host candidates: what clients can reach (e.g. the public IP behind 1:1 NAT). */
  readonly announcedIps: readonly string[];
  /** Addresses the UDP sockets bind to. Default: the wildcard address of each family. */
  readonly listenIps?: { readonly udp4?: string; readonly udp6?: string };
  /** Inclusive UDP port range for the sockets. Default: any free port. */
  readonly portRange?: readonly [number, number];
}

/** Checks the address options once, at startup; a contradiction is a caller's bug (TypeError). */
export function checkIceAddressOptions(opts: IceAddressOptions): void {
  if (opts.announcedIps.length === 0) throw new TypeError('announcedIps must list at least one IP address');
  for (const ip of opts.announcedIps) {
    if (isIP(ip) === 0) throw new TypeError(`announcedIps: "${ip}" is not an IP address`);
  }
  const { udp4, udp6 } = opts.listenIps ?? {};
  if (udp4 !== undefined && isIP(udp4) !== 4) throw new TypeError(`listenIps.udp4: "${udp4}" is not IPv4`);
  if (udp6 !== undefined && isIP(udp6) !== 6) throw new TypeError(`listenIps.udp6: "${udp6}" is not IPv6`);
  if (opts.portRange) {
    const [lo, hi] = opts.portRange;
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 1 || hi > 65535 || lo > hi) {
      throw new TypeError(`portRange [${lo}, ${hi}] is not a valid UDP port range`);
    }
  }
}

/** The werift config fragment: no STUN/TURN servers, host candidates on exactly the announced IPs. */
export function hostOnlyIceConfig(opts: IceAddressOptions): Partial<PeerConfig> {
  const { udp4, udp6 } = opts.listenIps ?? {};
  return {
    iceServers: [],
    iceUseIpv4: false,
    iceUseIpv6: false,
    iceAdditionalHostAddresses: [...opts.announcedIps],
    iceUseLinkLocalAddress: false,
    ...(udp4 !== undefined || udp6 !== undefined
      ? { iceInterfaceAddresses: { ...(udp4 ? { udp4 } : {}), ...(udp6 ? { udp6 } : {}) } }
      : {}),
    ...(opts.portRange ? { icePortRange: [opts.portRange[0], opts.portRange[1]] as [number, number] } : {}),
  };
}

/**
 * Removes werift's hard-coded Google STUN fallback from every ICE transport of `pc`. Call it after the
 * transceivers are added and before `setLocalDescription` (which gathers). Harmless on an ICE-lite peer.
 */
export function clearStunFallback(pc: RTCPeerConnection): void {
  for (const transport of pc.iceTransports) transport.connection.stunServer = undefined;
}

interface LitePair {
  readonly priority: number;
  nominated: boolean;
}
interface LiteConnection {
  nominated: LitePair | undefined;
  checkComplete(pair: LitePair): void;
}

/**
 * RFC 8445 §7.3.1.5 / §8.1.1: a lite agent uses the *highest-priority* nominated pair. werift keeps the
 * first one for good, but a browser nominates aggressively towards a lite peer, setting USE-CANDIDATE on
 * every check, including checks from local addresses whose return path does not work (seen here:
 * Chromium's checks from its LAN address to our loopback socket, answered into the void, so DTLS never
 * completed). werift sends every packet to `connection.nominated`, so moving that to a better-priority
 * nominated pair as it completes is enough. This is the one place Rostra reaches into werift's ICE.
 */
export function followHighestNomination(pc: RTCPeerConnection): void {
  for (const transport of pc.iceTransports) {
    const connection = transport.connection as unknown as LiteConnection;
    const complete = connection.checkComplete.bind(connection);
    connection.checkComplete = (pair: LitePair) => {
      const current = connection.nominated;
      complete(pair);
      if (current && pair !== current && pair.nominated && pair.priority > current.priority)
        connection.nominated = pair;
    };
  }
}
