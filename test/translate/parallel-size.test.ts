import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateWorkflowManifest } from '../../src/argo/schema.ts';
import { translateRecipe } from '../../src/translate/index.ts';
import { options, shellRecipe, urlInputs, vizRecipe } from './fixtures.ts';

const render = (n: number, partitionSize: number | null = 10) =>
  translateRecipe(
    shellRecipe({
      parallel: true,
      partitionSize,
      inputs: urlInputs(n),
      steps: ['cp "$INPUT_FILE" "$OUTPUT_FILE"', 'gzip "$INPUT_FILE" -c > "$OUTPUT_FILE.gz"'],
    }),
    options,
  );
const size = (value: unknown) => Buffer.byteLength(JSON.stringify(value));

describe('parallel manifests do not grow with the inputs', () => {
  it('has no per-input or per-partition entries: one fan-out step per recipe line', () => {
    const { workflow, uploads } = render(1000);
    const text = JSON.stringify(workflow);
    assert.ok(!text.includes('file-0.gpkg'), 'an input file name is in the manifest');
    assert.ok(!text.includes('data.example.org'), 'an input URL is in the manifest');
    const spec = workflow.spec as {
      templates: Array<{ name: string; steps?: Array<Array<{ name: string; withSequence?: { count: string } }>> }>;
    };
    assert.deepEqual(
      spec.templates.map((t) => t.name),
      ['main', 'fetch', 'run-step-0', 'run-step-1', 'publish'],
    );
    const groups = spec.templates[0]!.steps!;
    assert.deepEqual(
      groups.map((g) => g.map((s) => s.name)),
      [['fetch'], ['step-0'], ['step-1'], ['publish']],
    );
    assert.deepEqual(groups[1]![0]!.withSequence, { count: '100' });
    // The whole list travels as one upload instead.
    assert.equal(uploads.length, 1);
    assert.equal(uploads[0]!.key, `${options.uploadPrefix}/inputs.tsv`);
    assert.equal(uploads[0]!.body.split('\n').filter(Boolean).length, 1000);
  });

  it('100,000 inputs give a manifest no bigger than twice the 1,000-input one, and under 256 KiB', () => {
    const small = render(1000).workflow;
    const large = render(100_000).workflow;
    assert.deepEqual(validateWorkflowManifest(large), { valid: true });
    assert.ok(size(large) <= 2 * size(small), `${size(large)} bytes vs ${size(small)}`);
    assert.ok(size(large) <= 256 * 1024);
  });

  it('a null partition size puts up to 1000 files in a partition', () => {
    const { workflow } = render(2500, null);
    assert.match(JSON.stringify(workflow), /"withSequence":\{"count":"3"\}/);
    assert.match(JSON.stringify(workflow), /partition-\$\(\(n \/ 1000\)\)/);
  });

  it('caps running pods at the configured parallel limit', () => {
    const { workflow } = translateRecipe(shellRecipe({ parallel: true, inputs: urlInputs(3) }), { ...options, maxParallelLimit: 3 });
    assert.equal((workflow.spec as { parallelism?: number }).parallelism, 3);
    const sequential = translateRecipe(shellRecipe(), options).workflow;
    assert.equal((sequential.spec as { parallelism?: number }).parallelism, undefined);
  });
});

describe('parallel recipes with pvc_mount inputs', () => {
  const recipe = () => {
    const r = shellRecipe({ parallel: true, partitionSize: 50, steps: ['cp "$INPUT_FILE" "$OUTPUT_FILE"'], inputs: [] });
    r.config.input.params = [{ type: 'pvc_mount', claim_name: 'survey-data', path: 'tiles', glob: '*.tif' }];
    return r;
  };

  it('lists the claim at run time: the fan-out count is the stage step’s output, nothing is uploaded, Argo’s schema holds', () => {
    const { workflow, uploads } = translateRecipe(recipe(), options);
    assert.deepEqual(validateWorkflowManifest(workflow), { valid: true });
    assert.deepEqual(uploads, []);
    const spec = workflow.spec as {
      volumes: Array<{ name: string; persistentVolumeClaim?: { claimName: string; readOnly?: boolean } }>;
      templates: Array<{
        name: string;
        outputs?: { parameters?: Array<{ name: string; valueFrom?: { path: string } }> };
        container?: { volumeMounts?: Array<{ mountPath: string; readOnly?: boolean }> };
        steps?: Array<Array<{ name: string; withSequence?: { count: string } }>>;
      }>;
    };
    const groups = spec.templates[0]!.steps!;
    assert.deepEqual(groups[1]![0]!.withSequence, { count: '{{steps.fetch.outputs.parameters.partitions}}' });
    const fetch = spec.templates.find((t) => t.name === 'fetch')!;
    assert.deepEqual(
      fetch.outputs?.parameters?.map((p) => p.name),
      ['partitions'],
    );
    assert.ok(spec.volumes.some((v) => v.persistentVolumeClaim?.claimName === 'survey-data' && v.persistentVolumeClaim.readOnly));
    // Every pod mounts the claim read-only where the links on the volume point.
    for (const t of spec.templates.filter((x) => x.container)) {
      assert.ok(
        t.container!.volumeMounts!.some((m) => m.mountPath === '/mnt/data/survey-data' && m.readOnly),
        t.name,
      );
    }
  });

  it('is translated in visualization recipes too (test/translate/viz-parallel.test.ts has the details)', () => {
    const viz = vizRecipe();
    viz.config.input.params = [{ type: 'pvc_mount', claim_name: 'survey-data', path: 'tiles', glob: '*' }];
    assert.deepEqual(validateWorkflowManifest(translateRecipe(viz, options).workflow), { valid: true });
  });
});
