import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { RecipeSourceError, RecipeSourceUnavailableError } from '../errors.ts';

// Loopback, private, link-local, CGNAT, unspecified and multicast ranges: a
// service fetching recipes must not be steered at its own network.
const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
  ['224.0.0.0', 3],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 127],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
] as const) {
  blocked.addSubnet(net, prefix, 'ipv6');
}

/** Whether an IP address lies in a loopback, private, link-local, CGNAT, unspecified or multicast range. */
export function isPrivateAddress(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return blocked.check(mapped[1]!, 'ipv4');
  return blocked.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
}

/** Refuses a host that is, or resolves to, a loopback/private/link-local address unless `allowPrivate`. */
export async function assertPublicHost(host: string, allowPrivate: boolean, label: string): Promise<void> {
  if (allowPrivate) return;
  const bare = host.replace(/^\[|\]$/g, '');
  let addresses: string[];
  if (isIP(bare)) {
    addresses = [bare];
  } else {
    try {
      addresses = (await lookup(bare, { all: true })).map((a) => a.address);
    } catch (error) {
      throw new RecipeSourceUnavailableError(label, `${label}: cannot resolve host ${JSON.stringify(bare)}`, { cause: error });
    }
  }
  const bad = addresses.find(isPrivateAddress);
  if (bad !== undefined) {
    throw new RecipeSourceError(
      label,
      `${label}: host ${JSON.stringify(bare)} (${bad}) is a loopback, private or link-local address, which is not allowed here`,
    );
  }
}
