// Features the held-out Argo examples use: key-only map-reduce, inline templates, failFast, nested artifacts.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { harness, logText, manifest, nodeByDisplay, nodes, run } from './helpers.ts';

test('map-reduce with key-only artifacts: a folder stored raw under a prefix, read back as a folder', async (t) => {
  const { engine } = await harness(t);
  const wf = await run(
    engine,
    manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: map-reduce-}
spec:
  entrypoint: main
  templates:
  - name: main
    dag:
      tasks:
      - {name: split, template: split}
      - name: map
        depends: split
        template: map
        withParam: "{{tasks.split.outputs.result}}"
        arguments:
          parameters: [{name: part, value: "{{item}}"}]
          artifacts: [{name: part, s3: {key: "{{workflow.name}}/parts/{{item}}.txt"}}]
      - {name: reduce, depends: map, template: reduce}
  - name: split
    script:
      image: alpine
      command: [sh]
      source: |
        mkdir /mnt/out
        for i in 0 1 2; do echo $((i + 1)) > /mnt/out/$i.txt; done
        echo '["0", "1", "2"]'
    outputs:
      artifacts: [{name: parts, path: /mnt/out, archive: {none: {}}, s3: {key: "{{workflow.name}}/parts/"}}]
  - name: map
    inputs:
      parameters: [{name: part}]
      artifacts: [{name: part, path: /mnt/in/part.txt}]
    script:
      image: alpine
      command: [sh]
      source: |
        mkdir /mnt/out
        echo $(( $(cat /mnt/in/part.txt) * 10 )) > /mnt/out/part.txt
    outputs:
      artifacts: [{name: part, path: /mnt/out/part.txt, archive: {none: {}}, s3: {key: "{{workflow.name}}/results/{{inputs.parameters.part}}.txt"}}]
  - name: reduce
    inputs:
      artifacts: [{name: results, path: /mnt/in, s3: {key: "{{workflow.name}}/results"}}]
    container: {image: alpine, command: [sh, -c, "cat /mnt/in/* | awk '{s += $1} END {print s}'"]}
`),
  );
  assert.equal(wf.status?.phase, 'Succeeded');
  assert.equal(wf.status?.progress, '5/5');
  assert.equal(nodeByDisplay(wf, 'map').type, 'TaskGroup');
  assert.deepEqual(await logText(engine, wf.metadata.name!, nodeByDisplay(wf, 'reduce').id), ['60']);
});

test('inline templates run without a named template; their pods are named after the workflow alone', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  const wf = await run(
    engine,
    manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: steps-inline-}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - name: a
        inline:
          container: {image: argoproj/argosay:v2}
`),
  );
  assert.equal(wf.status?.phase, 'Succeeded');
  const a = nodeByDisplay(wf, 'a');
  assert.equal(a.templateName, undefined);
  const lines = [];
  for await (const l of engine.logs(wf.metadata.name!)) lines.push(l);
  assert.match(lines[0]!.podName, new RegExp(`^${wf.metadata.name}-\\d+$`));
  assert.equal(lines[0]!.content, 'hello argo');
});

test('template failFast stops starting children after a failure', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  const wf = await run(
    engine,
    manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: fail-fast-}
spec:
  entrypoint: main
  templates:
  - name: main
    parallelism: 1
    failFast: true
    steps:
    - - name: unit
        template: unit
        arguments: {parameters: [{name: code, value: "{{item}}"}]}
        withItems: [0, 0, 1, 0, 0]
  - name: unit
    inputs: {parameters: [{name: code}]}
    container: {image: alpine, command: [sh, -c, "exit {{inputs.parameters.code}}"]}
`),
  );
  assert.equal(wf.status?.phase, 'Failed');
  assert.equal(wf.status?.progress, '2/3');
  assert.equal(wf.status?.message, 'template has failed or errored children and failFast enabled');
  assert.ok(!nodes(wf).some((n) => n.displayName === 'unit(3:0)'));
});

test('a steps template hands its input artifact on and exports a child artifact and parameter', async (t) => {
  const { engine } = await harness(t);
  const wf = await run(
    engine,
    manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: nested-}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: make, template: make}
    - - name: inner
        template: inner
        arguments: {artifacts: [{name: data, from: "{{steps.make.outputs.artifacts.data}}"}]}
    - - name: show
        template: show
        arguments:
          parameters: [{name: p, value: "{{steps.inner.outputs.parameters.p}}"}]
          artifacts: [{name: data, from: "{{steps.inner.outputs.artifacts.data}}"}]
  - name: inner
    inputs: {artifacts: [{name: data}]}
    steps:
    - - name: copy
        template: copy
        arguments: {artifacts: [{name: data, from: "{{inputs.artifacts.data}}"}]}
    outputs:
      parameters: [{name: p, valueFrom: {parameter: "{{steps.copy.outputs.parameters.n}}"}}]
      artifacts: [{name: data, from: "{{steps.copy.outputs.artifacts.data}}"}]
  - name: make
    container: {image: alpine, command: [sh, -c, "echo made > /tmp/data"]}
    outputs: {artifacts: [{name: data, path: /tmp/data}]}
  - name: copy
    inputs: {artifacts: [{name: data, path: /in/data}]}
    container: {image: alpine, command: [sh, -c, "mkdir -p /out && (cat /in/data; echo copied) > /out/data && wc -l < /out/data | tr -d ' ' > /tmp/n"]}
    outputs:
      parameters: [{name: n, valueFrom: {path: /tmp/n}}]
      artifacts: [{name: data, path: /out/data}]
  - name: show
    inputs:
      parameters: [{name: p}]
      artifacts: [{name: data, path: /tmp/data}]
    container: {image: alpine, command: [sh, -c, "echo lines={{inputs.parameters.p}}; cat /tmp/data"]}
`),
  );
  assert.equal(wf.status?.phase, 'Succeeded');
  assert.deepEqual(await logText(engine, wf.metadata.name!, nodeByDisplay(wf, 'show').id), ['lines=2', 'made', 'copied']);
});

test('expression tags and valueFrom.expression: arithmetic, bracket access, ternaries over step results', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  const wf = await run(
    engine,
    manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: expr-}
spec:
  entrypoint: main
  arguments: {parameters: [{name: should-print, value: "true"}, {name: config, value: '{"a": {"b": 7}}'}]}
  templates:
  - name: main
    steps:
    - - {name: flip, template: say, arguments: {parameters: [{name: msg, value: "heads"}]}}
    - - name: heads
        template: say
        when: "{{= steps.flip.outputs.result == 'heads' && workflow.parameters['should-print'] == 'true'}}"
        arguments: {parameters: [{name: msg, value: "{{=asInt(jsonpath(workflow.parameters.config, '$.a.b')) * 6}}"}]}
      - {name: tails, template: say, when: "{{=steps.flip.outputs.result == 'tails'}}", arguments: {parameters: [{name: msg, value: never}]}}
    outputs:
      parameters:
      - name: chosen
        valueFrom: {expression: "steps.flip.outputs.result == 'heads' ? steps.heads.outputs.result : steps.tails.outputs.result"}
  - name: say
    inputs: {parameters: [{name: msg}]}
    container: {image: alpine, command: [echo, "{{inputs.parameters.msg}}"]}
`),
  );
  assert.equal(wf.status?.phase, 'Succeeded', wf.status?.message);
  assert.equal(nodeByDisplay(wf, 'heads').outputs?.result, '42');
  assert.equal(nodeByDisplay(wf, 'tails').message, "when 'false' evaluated false");
  assert.deepEqual(wf.status?.nodes?.[wf.metadata.name!]?.outputs?.parameters, [{ name: 'chosen', value: '42' }]);
});
