import { BlockList, isIP } from 'node:net';
import { ConfigurationError } from '@seatrush/core';

/**
 * Which proxies in front of the server are believed about the client's address
 * (`X-Forwarded-For`):
 * - `false` (default): none, the socket's peer is the client;
 * - a number: that many proxies (hops) the host runs, the rightmost entries of the header;
 * - a list of addresses and CIDRs (`['10.0.0.0/8', '::1']`): every peer inside them is a proxy.
 */
export type TrustProxy = false | number | readonly string[];

/** Resolves a request's client address from the socket peer and `X-Forwarded-For`. */
export type ClientAddressResolver = (peer: string | undefined, forwardedFor: string | undefined) => string;

/** Builds the resolver once, at construction: a bad setting is refused then, not per request. */
export function clientAddressResolver(trust: TrustProxy = false): ClientAddressResolver {
  if (trust === false) return (peer) => normalize(peer);
  if (typeof trust === 'number') {
    if (!Number.isInteger(trust) || trust < 0 || trust > 16) {
      throw new ConfigurationError('trustProxy: a hop count must be a whole number from 0 to 16');
    }
    return (peer, forwardedFor) => {
      if (trust === 0 || !forwardedFor) return normalize(peer);
      const chain = forwardedFor.split(',', 64);
      // the client is the entry `trust` hops from the right: each proxy appends the address it saw
      const entry = chain[chain.length - trust];
      return entry === undefined ? normalize(chain[0]) : normalize(entry);
    };
  }
  const proxies = new BlockList();
  for (const range of trust) {
    const [address, bits] = range.split('/');
    const family = isIP(address ?? '');
    if (family === 0) throw new ConfigurationError(`trustProxy: ${range} is not an address or CIDR`);
    const type = family === 4 ? 'ipv4' : 'ipv6';
    if (bits === undefined) proxies.addAddress(address as string, type);
    else {
      const prefix = Number(bits);
      if (!Number.isInteger(prefix) || prefix < 0 || prefix > (family === 4 ? 32 : 128)) {
        throw new ConfigurationError(`trustProxy: ${range} has a bad prefix length`);
      }
      proxies.addSubnet(address as string, prefix, type);
    }
  }
  const trusted = (address: string) => {
    const family = isIP(address);
    return family !== 0 && proxies.check(address, family === 4 ? 'ipv4' : 'ipv6');
  };
  return (peer, forwardedFor) => {
    let client = normalize(peer);
    if (!forwardedFor || !trusted(client)) return client;
    const chain = forwardedFor.split(',', 64);
    // walk from the right while the hop is one of ours: the first stranger is the client
    for (let i = chain.length - 1; i >= 0; i--) {
      client = normalize(chain[i]);
      if (!trusted(client)) return client;
    }
    return client;
  };
}

/** A trimmed address with IPv4-mapped IPv6 (`::ffff:1.2.3.4`) as plain IPv4; `unknown` if absent. */
function normalize(address: string | undefined): string {
  const trimmed = address?.trim();
  if (!trimmed) return 'unknown';
  if (trimmed.startsWith('::ffff:') && isIP(trimmed.slice(7)) === 4) return trimmed.slice(7);
  return trimmed.length > 64 ? trimmed.slice(0, 64) : trimmed;
}

/**
 * The budget a client address spends: the address itself for IPv4, its /64 network for IPv6
 * (one subscriber gets a whole /64, so per-address limits would give an abuser 2^64 budgets).
 */
export function addressGroup(address: string): string {
  if (isIP(address) !== 6) return address;
  const [head = '', tail] = address.split('::', 2);
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups =
    tail === undefined
      ? left
      : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => (g.includes('.') ? g : Number.parseInt(g || '0', 16).toString(16)))
    .join(':')}::/64`;
}
