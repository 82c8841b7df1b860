/**
 * Entrypoints of images that Argo examples run without a `command`. Images are not pulled, so only these are
 * known; any other command-less container is refused at submit.
 */
import { fileURLToPath } from 'node:url';

const ENTRYPOINTS: Array<{ image: RegExp; command: string[] }> = [
  { image: /^(docker\.io\/)?argoproj\/argosay:v2$/, command: [fileURLToPath(new URL('./images/argosay.sh', import.meta.url))] },
];

/** The entrypoint of a known image, or undefined. */
export function knownEntrypoint(image: unknown): string[] | undefined {
  if (typeof image !== 'string') return undefined;
  return ENTRYPOINTS.find((e) => e.image.test(image))?.command;
}
