/**
 * Entrypoints of images that Argo examples run without a `command`. Images are not pulled, so only these are
 * known; any other command-less container is refused at submit.
 */
import { readFileSync } from 'node:fs';

// The stand-in's source is handed to `sh -c` rather than run from this checkout: inside the sandbox the
// checkout may be hidden (a private /tmp) and without it its path could be rewritten.
const ARGOSAY = readFileSync(new URL('./images/argosay.sh', import.meta.url), 'utf8');
// nginx's default page on port 80 (python3's http.server), for the daemon and sidecar examples.
const NGINX = readFileSync(new URL('./images/nginx.sh', import.meta.url), 'utf8');

const ENTRYPOINTS: Array<{ image: RegExp; command: string[]; binary: string }> = [
  { image: /^(docker\.io\/)?argoproj\/argosay:v2$/, command: ['sh', '-c', ARGOSAY, 'argosay'], binary: '/argosay' },
  { image: /^(docker\.io\/)?(library\/)?nginx(:[\w.-]+)?$/, command: ['sh', '-c', NGINX, 'nginx'], binary: 'nginx' },
  // No entrypoint, CMD a shell: with no standard input (a pod's) it exits 0 at once.
  { image: /^(docker\.io\/)?(library\/)?alpine(:[\w.-]+)?$/, command: ['/bin/sh'], binary: '/bin/sh' },
  { image: /^(docker\.io\/)?(library\/)?busybox(:[\w.-]+)?$/, command: ['sh'], binary: 'sh' },
];

/** The entrypoint of a known image, or undefined. */
export function knownEntrypoint(image: unknown): string[] | undefined {
  if (typeof image !== 'string') return undefined;
  return ENTRYPOINTS.find((e) => e.image.test(image))?.command;
}

/** The command with a known image's own binary (`/argosay`) replaced by its stand-in. */
export function imageCommand(image: unknown, command: unknown[]): unknown[] {
  const known = typeof image === 'string' ? ENTRYPOINTS.find((e) => e.image.test(image)) : undefined;
  if (known && command[0] === known.binary) return [...known.command, ...command.slice(1)];
  return command;
}
