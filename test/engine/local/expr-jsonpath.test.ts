// jsonpath() in `{{= }}` expressions, as Argo's github.com/evilmonkeyinc/jsonpath evaluates it.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ExpressionError } from '../../../src/engine/local/errors.ts';
import { evaluateExpression } from '../../../src/engine/local/expressions/expr.ts';
import { harness, logText, manifest, nodeByDisplay, run } from './helpers.ts';

const CONFIG = '{"employees": [{"name": "Baris", "age":43},{"name": "Mo", "age": 42}, {"name": "Jai", "age" :44}]}';

/** jsonpath(config, path) through the expression evaluator, as a `{{= }}` tag would run it. */
function q(path: string, doc = CONFIG): unknown {
  return evaluateExpression(`jsonpath(doc, '${path}')`, { doc });
}

describe('jsonpath filters', () => {
  test('== matches a string field against a double- or single-quoted literal', () => {
    assert.deepEqual(q('$.employees[?(@.name=="Baris")].age'), [43]);
    assert.deepEqual(q('$.employees[?(@.name == "Mo")].age'), [42]);
  });

  test('== compares numbers numerically, and a quoted number is a string that never equals one', () => {
    assert.deepEqual(q('$.employees[?(@.age == 42.0)].name'), ['Mo']);
    assert.deepEqual(q('$.employees[?(@.age == "42")].name'), []);
  });

  test('!= keeps the elements that differ', () => {
    assert.deepEqual(q('$.employees[?(@.name != "Mo")].name'), ['Baris', 'Jai']);
  });

  test('< > <= >= compare numbers', () => {
    assert.deepEqual(q('$.employees[?(@.age < 43)].name'), ['Mo']);
    assert.deepEqual(q('$.employees[?(@.age > 43)].name'), ['Jai']);
    assert.deepEqual(q('$.employees[?(@.age <= 43)].name'), ['Baris', 'Mo']);
    assert.deepEqual(q('$.employees[?(@.age >= 43)].name'), ['Baris', 'Jai']);
  });

  test('&& needs both sides, || either', () => {
    assert.deepEqual(q('$.employees[?(@.age>42 && @.age<44)].age'), [43]);
    assert.deepEqual(q('$.employees[?(@.name == "Mo" || @.age == 44)].name'), ['Mo', 'Jai']);
    assert.deepEqual(q('$.employees[?(!(@.age == 43) && (@.age < 43 || @.name == "Jai"))].name'), ['Mo', 'Jai']);
  });

  test('an element the filter cannot evaluate is left out, even on the true side of ||', () => {
    const doc = '[{"n": 1, "v": 5}, {"v": 6}, {"n": "x", "v": 7}]';
    assert.deepEqual(q('$[?(@.n > 0)].v', doc), [5]);
    // The library evaluates both sides and drops the element on any error (here: no key n).
    assert.deepEqual(q('$[?(@.n == 1 || @.v == 6)].v', doc), [5]);
  });

  test('a bare path keeps elements whose value is present and not empty, zero, false or null', () => {
    const doc = '[{"k": "a"}, {"k": ""}, {"k": 0}, {"k": 2}, {"k": false}, {"k": null}, {"k": []}, {"k": [1]}, {}]';
    assert.deepEqual(q('$[?(@.k)].k', doc), ['a', 2, [1]]);
  });

  test('== null matches a JSON null', () => {
    assert.deepEqual(q('$[?(@.k == null)].i', '[{"k": null, "i": 1}, {"k": 0, "i": 2}]'), [1]);
  });

  test('a filter over an object visits its values in sorted key order', () => {
    assert.deepEqual(q('$[?(@.on == true)].id', '{"b": {"on": true, "id": "b"}, "a": {"on": true, "id": "a"}}'), ['a', 'b']);
  });

  test('$ inside a filter reads the document root', () => {
    assert.deepEqual(q('$.items[?(@.kind == $.want)].id', '{"want": "x", "items": [{"kind": "x", "id": 1}, {"kind": "y", "id": 2}]}'), [1]);
  });

  test('an index right after a filter picks from the filtered list', () => {
    assert.deepEqual(q('$.employees[?(@.age >= 43)][1]'), { age: 44, name: 'Jai' });
  });

  test('arithmetic and =~ in a filter are refused with the filter named', () => {
    assert.throws(
      () => q('$.employees[?(@.age + 1 > 43)]'),
      (e: unknown) => e instanceof ExpressionError && /@\.age \+ 1 > 43/.test(e.message),
    );
    assert.throws(() => q("$.employees[?(@.name =~ 'B.*')]"), ExpressionError);
  });
});

describe('jsonpath slices, wildcards and recursion', () => {
  test('[a:b] takes a up to but not including b', () => {
    assert.deepEqual(q('$.employees[0:1]'), [{ age: 43, name: 'Baris' }]);
    assert.deepEqual(q('$.employees[1:3].name'), ['Mo', 'Jai']);
  });

  test('open and negative bounds count from the ends and are clamped', () => {
    assert.deepEqual(q('$.employees[:2].name'), ['Baris', 'Mo']);
    assert.deepEqual(q('$.employees[1:].name'), ['Mo', 'Jai']);
    assert.deepEqual(q('$.employees[-2:].name'), ['Mo', 'Jai']);
    assert.deepEqual(q('$.employees[0:99].name'), ['Baris', 'Mo', 'Jai']);
    assert.deepEqual(q('$.employees[2:1]'), []);
  });

  test('a step skips, and a negative step walks the same range backwards', () => {
    assert.deepEqual(q('$[::2]', '[0,1,2,3,4]'), [0, 2, 4]);
    assert.deepEqual(q('$[1:4:-1]', '[0,1,2,3,4]'), [3, 2, 1]);
  });

  test('an index after a slice picks from the sliced list', () => {
    assert.deepEqual(q('$.employees[1:][0].name'), 'Mo');
  });

  test('[*] and .* list array items, and object values in sorted key order', () => {
    assert.deepEqual(q('$.employees[*].name'), ['Baris', 'Mo', 'Jai']);
    assert.deepEqual(q('$.m.*', '{"m": {"b": 2, "a": 1}}'), [1, 2]);
  });

  test('.. collects a key at every depth, parents before children', () => {
    assert.deepEqual(q('$..id', '{"id": 1, "x": {"id": 2, "y": [{"id": 3}]}}'), [1, 2, 3]);
  });

  test('objects come back with sorted keys, as Go marshals maps', () => {
    assert.equal(JSON.stringify(q('$.o', '{"o": {"z": 1, "a": {"y": 2, "b": 3}}}')), '{"a":{"b":3,"y":2},"z":1}');
  });

  test('a missing key or an index out of range fails the expression', () => {
    assert.throws(
      () => q('$.nobody'),
      (e: unknown) => e instanceof ExpressionError && /key 'nobody' not found/.test(e.message),
    );
    assert.throws(() => q('$.employees[3]'), /out of range/);
    assert.throws(() => q('$.employees[0,1]'), /unions .* not supported/);
  });
});

// argo-workflows examples/expression-destructure-json-complex.yaml, verbatim.
const EXAMPLE = `
apiVersion: argoproj.io/v1alpha1
kind: Workflow
metadata:
  generateName: expression-destructure-json-complex-
spec:
  arguments:
    parameters:
      - name: config
        value: '{"employees": [{"name": "Baris", "age":43},{"name": "Mo", "age": 42}, {"name": "Jai", "age" :44}]}'
  entrypoint: main
  templates:
    - name: main
      inputs:
        parameters:
          - name: a
            value: "{{=jsonpath(workflow.parameters.config, '$.employees[?(@.name==\\"Baris\\")].age')}}"
          - name: b
            value: "{{=jsonpath(workflow.parameters.config, '$.employees[?(@.age>42 && @.age<44)].age')}}"
          - name: c
            value: "{{=jsonpath(workflow.parameters.config, '$.employees[0:1]')}}"
          - name: d
            value: "{{=jsonpath(workflow.parameters.config, '$.employees[*].name')}}"
      script:
        env:
          - name: A
            value: "{{inputs.parameters.a}}"
          - name: B
            value: "{{inputs.parameters.b}}"
          - name: C
            value: "{{inputs.parameters.c}}"
          - name: D
            value: "{{inputs.parameters.d}}"
        image: busybox
        command: [sh]
        source: |
          echo "$A$B$C$D"
`;

test('expression-destructure-json-complex prints the four jsonpath results as Argo renders them', async (t) => {
  const { engine } = await harness(t);
  const wf = await run(engine, manifest(EXAMPLE));
  assert.equal(wf.status?.phase, 'Succeeded', wf.status?.message);
  const pod = nodeByDisplay(wf, wf.metadata.name!);
  assert.deepEqual(
    pod.inputs?.parameters?.map((p) => [p.name, p.value]),
    [
      ['a', '[43]'],
      ['b', '[43]'],
      ['c', '[{"age":43,"name":"Baris"}]'],
      ['d', '["Baris","Mo","Jai"]'],
    ],
  );
  assert.deepEqual(await logText(engine, wf.metadata.name!, pod.id), ['[43][43][{"age":43,"name":"Baris"}]["Baris","Mo","Jai"]']);
});
