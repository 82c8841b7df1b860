import type { Workflow } from '../../../src/engine/types.ts';

/** A small valid Workflow: one container template and one workflow parameter. */
export function helloManifest(labels: Record<string, string> = {}): Workflow {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Workflow',
    metadata: { generateName: 'hello-world-', labels },
    spec: {
      entrypoint: 'main',
      arguments: {
        parameters: [
          { name: 'message', value: 'hello' },
          { name: 'count', value: '1' },
        ],
      },
      templates: [{ name: 'main', container: { image: 'busybox', command: ['echo'], args: ['{{workflow.parameters.message}}'] } }],
    },
  };
}
