/**
 * Who a client is, by address: the socket's address, or behind trusted proxies the first address in
 * X-Forwarded-For that is not one of them (the same rule as Fastify's `trustProxy` list, so HTTP routes,
 * WebSockets and raw connections agree). A client talking directly cannot choose its own address.
 */
import type { IncomingMessage } from 'node:http';
import { BlockList, isIPv4, isIPv6 } from 'node:net';

export class ClientAddress {
  readonly #trusted: BlockList | undefined;

  constructor(trustedProxies: readonly string[]) {
    if (trustedProxies.length === 0) return;
    const list = new BlockList();
    for (const entry of trustedProxies) {
      const [addr = '', bits] = entry.split('/');
      const type = isIPv6(addr) ? 'ipv6' : 'ipv4';
      if (bits !== undefined) list.addSubnet(addr, Number(bits), type);
      else list.addAddress(addr, type);
    }
    this.#trusted = list;
  }

  /** Is this peer one of the operator's proxies (its connections are many people's)? */
  isTrusted(ip: string): boolean {
    if (!this.#trusted || ip === '') return false;
    const plain = unmap(ip);
    return this.#trusted.check(plain, isIPv6(plain) ? 'ipv6' : 'ipv4');
  }

  of(req: IncomingMessage): string {
    let ip = unmap(req.socket.remoteAddress ?? '');
    if (!this.isTrusted(ip)) return ip;
    const header = req.headers['x-forwarded-for'];
    const hops = (Array.isArray(header) ? header.join(',') : (header ?? ''))
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = unmap(hops[i] as string);
      if (!isIPv4(hop) && !isIPv6(hop)) return ip;
      ip = hop;
      if (!this.isTrusted(ip)) return ip;
    }
    return ip;
  }
}

/** `::ffff:1.2.3.4` → `1.2.3.4`, so one client has one key whichever way its socket reports it. */
export function unmap(ip: string): string {
  return ip.startsWith('::ffff:') && isIPv4(ip.slice(7)) ? ip.slice(7) : ip;
}

/**
 * The network a client is in: /24 for IPv4, /48 for IPv6 (one site's allocation). A carrier NAT pool or
 * one IPv6 customer then shares one prefix key, whose limits are several times the per-address ones.
 */
export function prefixOf(ip: string): string {
  const plain = unmap(ip);
  if (isIPv4(plain)) return `${plain.slice(0, plain.lastIndexOf('.'))}.0/24`;
  if (!isIPv6(plain)) return plain;
  const [head = ''] = plain.split('::');
  const groups = head.split(':').filter((g) => g !== '');
  const full = plain.includes('::') ? [...groups, '0', '0', '0'] : plain.split(':');
  return `${full.slice(0, 3).join(':')}::/48`;
}
