import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateWorkflowManifest } from '../../src/argo/schema.ts';
import { loadConfig } from '../../src/config/index.ts';
import type { Template } from '../../src/argo/types.ts';
import { translateRecipe } from '../../src/translate/index.ts';
import { RUN_AREA_SUBPATH, RUN_DIR, VOLUME_MOUNT_PATH } from '../../src/translate/layout.ts';
import { translateOptionsFrom } from '../../src/translate/options.ts';
import { options, shellRecipe, urlInputs, vizRecipe } from './fixtures.ts';

const recipes = {
  sequential: () => shellRecipe({ steps: ['cp /input_dir/* /output_dir/'] }),
  parallel: () => shellRecipe({ parallel: true, partitionSize: 2, inputs: urlInputs(3), steps: ['cp "$INPUT_FILE" "$OUTPUT_FILE"'] }),
  temporary: () => shellRecipe({ parallel: true, inputs: urlInputs(2), output: 'temporary' }),
  visualization: () => vizRecipe(),
};

function podTemplates(templates: Template[]): Template[] {
  return templates.filter((t) => t.container ?? t.script);
}

describe('translated manifests: limits and pod security', () => {
  for (const [kind, make] of Object.entries(recipes)) {
    it(`${kind}: a one-day deadline and baseline security on every container by default`, () => {
      const { workflow } = translateRecipe(make(), options);
      const spec = workflow.spec as { activeDeadlineSeconds: number; securityContext?: unknown; templates: Template[] };
      assert.equal(spec.activeDeadlineSeconds, 86_400);
      assert.equal(spec.securityContext, undefined);
      for (const t of podTemplates(spec.templates)) {
        assert.deepEqual(
          (t.container ?? t.script)!.securityContext,
          { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
          t.name,
        );
      }
    });

    it(`${kind}: restricted adds non-root and RuntimeDefault seccomp, and still validates`, () => {
      const { workflow } = translateRecipe(make(), { ...options, podSecurity: 'restricted', workflowDeadlineSeconds: 600 });
      assert.deepEqual(validateWorkflowManifest(workflow), { valid: true });
      const spec = workflow.spec as { activeDeadlineSeconds: number; securityContext: Record<string, unknown> };
      assert.equal(spec.activeDeadlineSeconds, 600);
      assert.equal(spec.securityContext.runAsNonRoot, true);
      assert.deepEqual(spec.securityContext.seccompProfile, { type: 'RuntimeDefault' });
      assert.ok(Number(spec.securityContext.runAsUser) > 0);
    });
  }

  it('recipe lines mount only the run area, at the same path; only publish mounts the whole volume', () => {
    const { workflow } = translateRecipe(recipes.parallel(), options);
    const templates = (workflow.spec as { templates: Template[] }).templates;
    for (const t of podTemplates(templates)) {
      const mounts = t.container!.volumeMounts ?? [];
      if (t.name === 'publish') {
        assert.deepEqual(mounts, [{ name: 'workflow-volume', mountPath: VOLUME_MOUNT_PATH }]);
      } else {
        assert.deepEqual(mounts, [{ name: 'workflow-volume', mountPath: RUN_DIR, subPath: RUN_AREA_SUBPATH }], t.name);
      }
    }
    const steps = podTemplates(templates).filter((t) => t.name.startsWith('run-step-'));
    assert.equal(steps.length, 1);
  });

  it('only the fetch template asks for the network', () => {
    for (const make of Object.values(recipes)) {
      const templates = (translateRecipe(make(), options).workflow.spec as { templates: Template[] }).templates;
      for (const t of podTemplates(templates)) {
        const network = t.metadata?.annotations?.['ogdc.dataone.org/network'];
        assert.equal(network, t.name === 'fetch' ? 'egress' : undefined, t.name);
      }
    }
  });

  it('OGDC_WORKFLOW_DEADLINE_SECONDS and OGDC_POD_SECURITY reach the options; bad values name the variable', () => {
    const config = loadConfig({ OGDC_WORKFLOW_DEADLINE_SECONDS: '3600', OGDC_POD_SECURITY: 'restricted', HOME: '/nonexistent' });
    const opts = translateOptionsFrom(config, { submitter: 'a', overwrite: false, uploadPrefix: 'p' });
    assert.equal(opts.workflowDeadlineSeconds, 3600);
    assert.equal(opts.podSecurity, 'restricted');
    assert.throws(() => loadConfig({ OGDC_POD_SECURITY: 'privileged' }), /OGDC_POD_SECURITY/);
    assert.throws(() => loadConfig({ OGDC_WORKFLOW_DEADLINE_SECONDS: '0' }), /OGDC_WORKFLOW_DEADLINE_SECONDS/);
  });
});
