// Loop items as Argo reads them: withParam numbers keep their JSON text, item names and variables.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { itemsFromList, itemsFromParam, itemVariables, loopChildSuffix } from '../../../src/engine/local/execution/loops.ts';
import { harness, logText, manifest, nodeByDisplay, run } from './helpers.ts';

test('withParam numbers keep their exact JSON text in {{item}} and in node names', () => {
  const items = itemsFromParam('[1.0, 2.50, 1e3, -0, {"b": 1.10, "a": "x"}, [1.0, "y"]]');
  assert.deepEqual(
    items.map((i) => itemVariables(i.value).item),
    ['1.0', '2.50', '1e3', '-0', '{"a":"x","b":1.10}', '[1.0,"y"]'],
  );
  assert.deepEqual(
    items.map((i) => loopChildSuffix(i)),
    ['(0:1.0)', '(1:2.50)', '(2:1e3)', '(3:-0)', '(4:a:x,b:1.10)', '(5:[1.0 y])'],
  );
  assert.equal(itemVariables(items[4]!.value)['item.b'], '1.10');
});

test('withParam keeps the key order of nested objects; the item map itself is sorted', () => {
  const [item] = itemsFromParam('[{"z": {"y": 1, "x": 2}, "a": 0}]');
  assert.equal(itemVariables(item!.value).item, '{"a":0,"z":{"y":1,"x":2}}');
  assert.equal(itemVariables(item!.value)['item.z'], '{"y":1,"x":2}');
});

test('withItems values are already data: numbers as JSON gives them, nested maps as JSON in names', () => {
  const items = itemsFromList([1.5, { image: 'debian', opts: { b: 1, a: 2 } }]);
  assert.deepEqual(items.map(loopChildSuffix), ['(0:1.5)', '(1:image:debian,opts:{"a":2,"b":1})']);
});

test('withParam of an unparseable value names the value and the parse error', () => {
  assert.throws(() => itemsFromParam('[1.0,'), /withParam value could not be parsed as a JSON list: \[1\.0,: /);
  assert.throws(() => itemsFromParam('{"a": 1}'), /not a list/);
});

test('a workflow fanning out over a step output keeps 1.0 as 1.0', async (t) => {
  const { engine } = await harness(t, { sandbox: 'none' });
  const wf = await run(
    engine,
    manifest(`
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata: {generateName: param-numbers-}
spec:
  entrypoint: main
  templates:
  - name: main
    steps:
    - - {name: gen, template: gen}
    - - name: print
        template: print
        arguments: {parameters: [{name: n, value: "{{item}}"}]}
        withParam: "{{steps.gen.outputs.result}}"
  - name: gen
    script: {image: python:alpine3.6, command: [sh], source: "echo '[1.0, 2.50]'"}
  - name: print
    inputs: {parameters: [{name: n}]}
    container: {image: alpine, command: [echo, "{{inputs.parameters.n}}"]}
`),
  );
  assert.equal(wf.status?.phase, 'Succeeded');
  assert.deepEqual(await logText(engine, wf.metadata.name!, nodeByDisplay(wf, 'print(0:1.0)').id), ['1.0']);
  assert.deepEqual(await logText(engine, wf.metadata.name!, nodeByDisplay(wf, 'print(1:2.50)').id), ['2.50']);
});
