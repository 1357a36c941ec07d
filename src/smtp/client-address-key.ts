import { isIPv6 } from 'node:net';

/** IPv6 clients are counted per this prefix: the smallest block ISPs hand to one subscriber. */
export const IPV6_PREFIX_GROUPS = 4;

/**
 * What `smtp.maxConnectionsPerAddress` counts a client under. IPv4: the address. IPv6: its /64,
 * since one host may use any of the 2^64 addresses of its subnet and would otherwise get a
 * fresh share with each (Postfix 3.8 aggregates IPv6 clients the same way, at /84). smtp-server
 * has already turned IPv4-mapped addresses (`::ffff:192.0.2.1`) into plain IPv4.
 */
export function clientAddressKey(address: string): string {
  if (!isIPv6(address)) return address;
  const groups = ipv6Groups(address);
  return groups === undefined ? address : `${groups.slice(0, IPV6_PREFIX_GROUPS).join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, as lower-case hex without leading zeros. */
function ipv6Groups(address: string): string[] | undefined {
  let text = address.split('%')[0] ?? '';
  // An embedded IPv4 tail (64:ff9b::192.0.2.1) is two more groups.
  const tail = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (tail !== null) {
    const [a, b, c, d] = tail.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, tail.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', rest] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = rest === undefined || rest === '' ? [] : rest.split(':');
  const missing = 8 - headGroups.length - tailGroups.length;
  if (missing < 0 || (rest === undefined && missing !== 0)) return undefined;
  return [...headGroups, ...Array<string>(missing).fill('0'), ...tailGroups].map((group) => Number.parseInt(group, 16).toString(16));
}
