import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import type { InputFile } from '../../recipe/types.ts';
import { isPrivateAddress } from '../../recipe/sources/hosts.ts';
import { RequestValidationError } from '../errors.ts';

/** Addresses of a host; none when it does not resolve (the fetch step then fails on it by itself). */
async function addressesOf(host: string): Promise<string[]> {
  if (isIP(host)) return [host];
  try {
    return (await lookup(host, { all: true })).map((a) => a.address);
  } catch {
    return [];
  }
}

/**
 * Refuses input URLs whose host is, or resolves to, a loopback, private or link-local address
 * (the rules of recipe sources), naming the input: the fetch step must not be steered at the
 * service or its network. Each host is resolved once, however many inputs name it.
 */
export async function assertPublicInputs(inputs: InputFile[], allowPrivate: boolean): Promise<void> {
  if (allowPrivate) return;
  const verdicts = new Map<string, Promise<string | undefined>>();
  for (const input of inputs) {
    let host: string;
    try {
      host = new URL(input.url).hostname.replace(/^\[|\]$/g, '');
    } catch {
      continue; // translation names malformed URLs
    }
    if (!verdicts.has(host))
      verdicts.set(
        host,
        addressesOf(host).then((all) => all.find(isPrivateAddress)),
      );
    const bad = await verdicts.get(host);
    if (bad !== undefined) {
      throw new RequestValidationError([
        {
          type: 'private_input_host',
          loc: ['input', input.filename],
          msg: `input ${JSON.stringify(input.filename)} (${input.url}): host ${JSON.stringify(host)} (${bad}) is a loopback, private or link-local address, which is not allowed (OGDC_ALLOW_PRIVATE_SOURCES)`,
        },
      ]);
    }
  }
}
