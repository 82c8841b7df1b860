// The local engine's admission (DESIGN §9): what a restricted pod cannot have is refused at submit, naming the field.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManifestRejectedError } from '../../../src/engine/errors.ts';
import { harness, manifest, nodeByDisplay, run } from './helpers.ts';

/** A one-container workflow with `template` and `spec` YAML lines spliced in. */
const wf = (template = '', spec = '', container = '') =>
  manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: adm-}
spec:
  entrypoint: main
${spec}
  templates:
  - name: main
${template}
    container:
      image: busybox
      command: [sh, -c, "true"]
${container}
`);

const cases: Array<[string, ReturnType<typeof wf>, RegExp]> = [
  ['privileged', wf('', '', '      securityContext: {privileged: true}'), /spec\.templates\[0\]\.container\.securityContext\.privileged/],
  ['runAsUser 0', wf('', '', '      securityContext: {runAsUser: 0}'), /securityContext\.runAsUser: running as root/],
  ['capabilities add', wf('', '', '      securityContext: {capabilities: {add: [SYS_ADMIN]}}'), /capabilities\.add/],
  ['escalation', wf('', '', '      securityContext: {allowPrivilegeEscalation: true}'), /allowPrivilegeEscalation/],
  ['pod runAsUser 0', wf('', '  securityContext: {runAsUser: 0}'), /spec\.securityContext\.runAsUser/],
  ['hostNetwork', wf('', '  hostNetwork: true'), /spec\.hostNetwork/],
  ['hostPID', wf('', '  hostPID: true'), /spec\.hostPID/],
  ['hostPath volume', wf('', '  volumes: [{name: h, hostPath: {path: /etc}}]'), /spec\.volumes\[0\]\.hostPath/],
  [
    'relative artifact path',
    wf('    outputs: {artifacts: [{name: a, path: ../../x}]}'),
    /outputs\.artifacts\[0\]\.path: '\.\.\/\.\.\/x' must not contain '\.\.'/,
  ],
  [
    'relative parameter path',
    wf('    outputs: {parameters: [{name: p, valueFrom: {path: out.txt}}]}'),
    /valueFrom\.path: 'out\.txt' must be an absolute path/,
  ],
  [
    'climbing input path',
    wf('    inputs: {artifacts: [{name: a, path: /in/../../etc/x, raw: {data: x}}]}'),
    /inputs\.artifacts\[0\]\.path/,
  ],
  [
    's3 key escaping',
    wf('    outputs: {artifacts: [{name: a, path: /tmp/a, s3: {key: ../../other/x}}]}'),
    /outputs\.artifacts\[0\]\.s3\.key/,
  ],
  ['absolute s3 key', wf('    inputs: {artifacts: [{name: a, path: /tmp/a, s3: {key: /etc/passwd}}]}'), /inputs\.artifacts\[0\]\.s3\.key/],
  [
    'volume name',
    wf('', '  volumes: [{name: My_Vol, emptyDir: {}}]', '      volumeMounts: [{name: My_Vol, mountPath: /m}]'),
    /spec\.volumes\[0\]\.name: 'My_Vol' is not a valid DNS-1123 label/,
  ],
  ['claim name', wf('', '  volumes: [{name: v, persistentVolumeClaim: {claimName: ../../x}}]'), /claimName/],
  [
    'subPath',
    wf('', '  volumes: [{name: v, emptyDir: {}}]', '      volumeMounts: [{name: v, mountPath: /m, subPath: ../up}]'),
    /volumeMounts\[0\]\.subPath/,
  ],
  [
    'relative mountPath',
    wf('', '  volumes: [{name: v, emptyDir: {}}]', '      volumeMounts: [{name: v, mountPath: m}]'),
    /volumeMounts\[0\]\.mountPath/,
  ],
  ['relative workingDir', wf('', '', '      workingDir: ../x'), /container\.workingDir/],
];

test('admission refuses privilege, host namespaces and paths, escaping paths and keys, bad names; naming the field', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  for (const [what, manifestDoc, message] of cases) {
    await assert.rejects(
      engine.submit(manifestDoc),
      (err: unknown) => err instanceof ManifestRejectedError && message.test(err.message),
      what,
    );
  }
});

test('admission accepts what a restricted pod may ask for; a relative path made by a parameter fails the node, not the engine', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  const ok = await run(
    engine,
    wf(
      '',
      '  securityContext: {runAsNonRoot: true, runAsUser: 1000}',
      '      securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}, readOnlyRootFilesystem: true}',
    ),
  );
  assert.equal(ok.status?.phase, 'Succeeded');
  const relative = await run(
    engine,
    manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: adm-}
spec:
  entrypoint: main
  arguments: {parameters: [{name: p, value: rel/out.txt}]}
  templates:
  - name: main
    container: {image: busybox, command: [sh, -c, "true"]}
    outputs: {parameters: [{name: o, valueFrom: {path: "{{workflow.parameters.p}}"}}]}
`),
  );
  assert.equal(relative.status?.phase, 'Error');
  assert.match(nodeByDisplay(relative, relative.metadata.name!).message ?? '', /must be an absolute path/);
});

test('pod-level resources are accepted as container resources are; resource claims and DNS settings stay refused', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  const limits = '{limits: {cpu: "1", memory: 512Mi}, requests: {cpu: 100m}}';
  const ok = await run(engine, wf(`    podResources: ${limits}`, `  podResources: ${limits}`));
  assert.equal(ok.status?.phase, 'Succeeded');
  for (const [spec, field] of [
    ['  resourceClaims: [{name: gpu, resourceClaimTemplateName: t}]', 'spec.resourceClaims'],
    ['  dnsConfig: {nameservers: [1.2.3.4]}', 'spec.dnsConfig'],
    ['  podResources: {claims: [{name: gpu}]}', 'spec.podResources.claims'],
  ] as const) {
    await assert.rejects(engine.submit(wf('', spec)), (err: unknown) => {
      assert.ok(err instanceof ManifestRejectedError);
      assert.equal(err.field, field);
      assert.match(err.message, /use the Argo engine/);
      return true;
    });
  }
});
