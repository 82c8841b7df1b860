import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildParallelFetchTemplate, buildSequentialFetchTemplate, inlineFetchScript } from '../../src/translate/builders/fetch.ts';
import { buildPublishTemplate } from '../../src/translate/builders/publish.ts';
import { manifestOutputKey } from '../../src/argo/keys.ts';
import { buildParallelStepTemplate, buildSequentialStepTemplate } from '../../src/translate/builders/steps.ts';
import { buildBatchTemplate, buildTileTemplate, DEFAULT_VIZ_IMAGE } from '../../src/translate/builders/viz.ts';
import { buildMetadata, buildSpec, ttlSecondsAfterSuccess } from '../../src/translate/builders/workflow.ts';
import { inputsTsv } from '../../src/translate/inputs.ts';
import { shQuote } from '../../src/translate/quote.ts';
import { options, shellRecipe, vizRecipe } from './fixtures.ts';

describe('shQuote', () => {
  it('leaves plain words alone and single-quotes the rest', () => {
    assert.equal(shQuote('https://x.org/a-b_c.tif?x=1'), "'https://x.org/a-b_c.tif?x=1'");
    assert.equal(shQuote('a.tif'), 'a.tif');
    assert.equal(shQuote("it's here"), `'it'\\''s here'`);
    assert.equal(shQuote('$(rm -rf /)'), `'$(rm -rf /)'`);
  });
});

describe('metadata and spec', () => {
  it('labels the workflow with archive flag, recipe id and submitter', () => {
    assert.deepEqual(buildMetadata(shellRecipe({ id: 'seal-tags' }), 'shell', options), {
      generateName: 'seal-tags-shell-',
      namespace: 'qgnet',
      labels: { 'ogdc/persist-workflow-in-archive': 'true', 'ogdc/recipe-id': 'seal-tags', 'ogdc/submitter': 'alice' },
    });
  });

  it('keeps successful runs a day, temporary outputs a week, and sets no TTL for failures', () => {
    assert.equal(ttlSecondsAfterSuccess(shellRecipe({ output: 'pvc' })), 86400);
    assert.equal(ttlSecondsAfterSuccess(shellRecipe({ output: 'temporary' })), 604800);
    const spec = buildSpec(shellRecipe({ output: 'temporary' }), options, []);
    assert.deepEqual(spec.ttlStrategy, { secondsAfterSuccess: 604800 });
  });

  it('mounts the workflow PVC as workflow-volume, with artifact GC on deletion and the service account', () => {
    const spec = buildSpec(shellRecipe(), { ...options, pvcName: 'my-pvc', serviceAccountName: 'sa' }, [], 7);
    assert.deepEqual(spec.volumes, [{ name: 'workflow-volume', persistentVolumeClaim: { claimName: 'my-pvc' } }]);
    assert.deepEqual(spec.artifactGC, { strategy: 'OnWorkflowDeletion' });
    assert.equal(spec.serviceAccountName, 'sa');
    assert.equal(spec.parallelism, 7);
    assert.equal(spec.entrypoint, 'main');
  });
});

describe('fetch', () => {
  it('downloads every input under its own file name, quoting what needs it', () => {
    const script = inlineFetchScript([{ url: 'https://x.org/a b?c=1', filename: "it's.tif" }], '/output_dir');
    assert.match(script, /^DEST=\/output_dir$/m);
    assert.match(script, /^fetch_input 'https:\/\/x.org\/a b\?c=1' 'it'\\''s.tif'$/m);
    // Redirects are followed by the script, each hop's host checked first.
    assert.match(script, /public_host "\$url" \|\| exit 1\n {4}if wget -nv -S --tries=3 --max-redirect=0 -O "\$DEST\/\$2" "\$url"/);
  });

  it('sequential fetch hands /output_dir/ on as the output-dir artifact, without the volume', () => {
    const template = buildSequentialFetchTemplate([{ url: 'https://x.org/a.tif', filename: 'a.tif' }], options);
    assert.deepEqual(template.outputs, { artifacts: [{ name: 'output-dir', path: '/output_dir/' }] });
    assert.equal(template.container?.volumeMounts, undefined);
    assert.equal(template.container?.image, options.runnerImage);
    assert.equal(template.container?.imagePullPolicy, options.imagePullPolicy);
  });

  it('parallel fetch reads its list from a key-only artifact and partitions on the volume', () => {
    const template = buildParallelFetchTemplate('pfx/inputs.tsv', 5, 2, options);
    assert.deepEqual(template.inputs, { artifacts: [{ name: 'input-list', path: '/tmp/ogdc/inputs.tsv', s3: { key: 'pfx/inputs.tsv' } }] });
    const script = template.container?.args?.[0] ?? '';
    assert.match(script, /partition-\$\(\(n \/ 2\)\)\.txt/);
    assert.match(script, /if \[ "\$n" -ne 5 \]/);
    // Only the run's own area of the volume, at the path the scripts use.
    assert.deepEqual(template.container?.volumeMounts, [
      { name: 'workflow-volume', mountPath: '/mnt/workflow/_ogdc-runs/{{workflow.name}}', subPath: '_ogdc-runs/{{workflow.name}}' },
    ]);
  });

  it('the input list has one URL<TAB>NAME line per input', () => {
    assert.equal(
      inputsTsv([
        { url: 'https://x/a', filename: 'a' },
        { url: 'https://x/b', filename: 'b.tif' },
      ]),
      'https://x/a\ta\nhttps://x/b\tb.tif\n',
    );
  });
});

describe('recipe steps', () => {
  it('sequential: the line is passed verbatim as $1 of sh -c, between input-dir and output-dir artifacts', () => {
    const line = `gdalwarp -t_srs "EPSG:3413" /input_dir/a.tif /output_dir/b.tif # it's fine`;
    assert.deepEqual(buildSequentialStepTemplate(2, line, options), {
      name: 'run-step-2',
      inputs: { artifacts: [{ name: 'input-dir', path: '/input_dir/' }] },
      outputs: { artifacts: [{ name: 'output-dir', path: '/output_dir/' }] },
      container: {
        image: options.runnerImage,
        imagePullPolicy: 'IfNotPresent',
        command: ['sh', '-c'],
        args: ['mkdir -p /output_dir/ && exec sh -c "$1"', 'ogdc-step-2', line],
        securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
      },
    });
  });

  it("parallel: first line reads the partition list, later lines the previous line's partition folder", () => {
    const first = buildParallelStepTemplate(0, 'cp "$INPUT_FILE" "$OUTPUT_FILE"', options);
    const second = buildParallelStepTemplate(1, 'cp "$INPUT_FILE" "$OUTPUT_FILE"', options);
    assert.deepEqual(first.inputs, { parameters: [{ name: 'partition' }] });
    assert.deepEqual(first.container?.args?.slice(1), ['ogdc-step-0', 'cp "$INPUT_FILE" "$OUTPUT_FILE"']);
    assert.match(first.container?.args?.[0] ?? '', /partitions\/partition-\$PARTITION\.txt/);
    assert.match(
      second.container?.args?.[0] ?? '',
      /INPUT_DIR="\/mnt\/workflow\/_ogdc-runs\/\{\{workflow\.name\}\}\/step-0\/partition-\$PARTITION"/,
    );
    for (const name of ['INPUT_FILE', 'OUTPUT_FILE', 'INPUT_DIR', 'OUTPUT_DIR']) {
      assert.match(first.container?.args?.[0] ?? '', new RegExp(`export ${name}=`));
    }
  });
});

describe('publish', () => {
  it('pvc: mounts the volume, publishes under the recipe id and refuses an existing output unless overwrite', () => {
    const recipe = shellRecipe({ id: 'seal-tags' });
    const refuse = buildPublishTemplate(recipe, { kind: 'artifact' }, options);
    assert.deepEqual(refuse.inputs, { artifacts: [{ name: 'input-dir', path: '/input_dir/' }] });
    assert.equal(refuse.outputs, undefined);
    assert.match(refuse.container?.args?.[0] ?? '', /^DEST=\/mnt\/workflow\/seal-tags$/m);
    assert.match(refuse.container?.args?.[0] ?? '', /^OVERWRITE=false$/m);
    const replace = buildPublishTemplate(recipe, { kind: 'artifact' }, { ...options, overwrite: true });
    assert.match(replace.container?.args?.[0] ?? '', /^OVERWRITE=true$/m);
  });

  it('temporary: zips into /tmp/<id>.zip, stored unarchived at {{workflow.name}}/<id>.zip', () => {
    const template = buildPublishTemplate(shellRecipe({ id: 'seal-tags', output: 'temporary' }), { kind: 'artifact' }, options);
    assert.deepEqual(template.outputs, {
      artifacts: [
        { name: 'published_zip', path: '/tmp/seal-tags.zip', archive: { none: {} }, s3: { key: '{{workflow.name}}/seal-tags.zip' } },
      ],
    });
    assert.equal(manifestOutputKey('x'), '{{workflow.name}}/x.zip');
    assert.equal(template.container?.volumeMounts, undefined);
  });
});

describe('visualization', () => {
  it('batches with the recipe batch size and tiles one batch per pod in the viz image', () => {
    const recipe = vizRecipe({ batchSize: 17 });
    const batch = buildBatchTemplate(recipe.config.id, 17, options);
    assert.match(batch.script?.source ?? '', /^batch_size = 17$/m);
    assert.equal(batch.script?.image, DEFAULT_VIZ_IMAGE);
    const tile = buildTileTemplate(recipe.config.id, { ...options, vizImage: 'viz:1' });
    assert.equal(tile.script?.image, 'viz:1');
    assert.deepEqual(tile.inputs, { parameters: [{ name: 'chunk' }] });
    assert.match(tile.script?.source ?? '', /TileStager\(config, check_footprints=False\)/);
  });
});
