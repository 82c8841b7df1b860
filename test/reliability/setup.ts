import { dbTargets, type DbTarget } from '../helpers/db.ts';
import { startTestService, type TestService } from '../helpers/service.ts';
import { buildTarGz } from '../helpers/tar-builder.ts';
import { startArgoStandin, type ArgoStandin } from '../standins/argo-server.ts';
import { validateWorkflowManifest } from '../../src/argo/schema.ts';
import { createEngine } from '../../src/engine/create.ts';
import type { StartOptions } from '../../src/service/start.ts';
import type { DatabaseConfig } from '../../src/config/index.ts';

export { dbTargets };

/** A recipe directory packed as the CLI uploads it; `name` makes the recipe id. */
export function recipeArchive(name = 'Reliability recipe', output = 'pvc'): Buffer {
  const meta = [
    `name: "${name}"`,
    'workflow:',
    '  type: shell',
    'input:',
    '  params:',
    '    - type: url',
    '      value: "https://data.example.org/input.geojson"',
    'output:',
    `  type: ${output}`,
    '',
  ].join('\n');
  return buildTarGz([
    { name: 'meta.yml', content: meta },
    { name: 'recipe.sh', content: 'cp /input_dir/* /output_dir/\n' },
  ]);
}

export interface ArgoBackedService {
  svc: TestService;
  argo: ArgoStandin;
  stop(): Promise<void>;
}

/** The real service on a fresh database of `target`, submitting to an Argo Server stand-in. */
export async function startArgoBackedService(
  target: DbTarget,
  env: Record<string, string> = {},
  options: StartOptions & { dbConfig?: DatabaseConfig } = {},
): Promise<ArgoBackedService> {
  // The stand-in checks manifests against Argo's schema: compile it now, not inside a test's first short-timeout submit.
  validateWorkflowManifest({});
  const argo = await startArgoStandin();
  try {
    const svc = await startTestService(target, { ARGO_WORKFLOWS_SERVICE_URL: argo.url, ...env }, { createEngine, ...options });
    return {
      svc,
      argo,
      async stop() {
        await svc.stop();
        await argo.close();
      },
    };
  } catch (err) {
    await argo.close();
    throw err;
  }
}

/** Headers of an authenticated request. */
export const bearer = (token: string, extra: Record<string, string> = {}) => ({ authorization: `Bearer ${token}`, ...extra });
