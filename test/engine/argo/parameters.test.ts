import assert from 'node:assert/strict';
import { test } from 'node:test';
import { applySubmitParameters } from '../../../src/engine/argo/parameters.ts';
import { helloManifest } from './fixtures.ts';

test('overrides come first as plain name/value pairs, then the untouched parameters, as argo submit -p orders them', () => {
  const manifest = helloManifest();
  (manifest.spec as any).arguments.parameters[0].enum = ['hello', 'bye'];
  const out = applySubmitParameters(manifest, { count: '3', message: 'hi there' });
  assert.deepEqual((out.spec as any).arguments.parameters, [
    { name: 'count', value: '3' },
    { name: 'message', value: 'hi there' },
  ]);
});

test('a parameter the manifest does not declare is added, as Argo does', () => {
  const out = applySubmitParameters(helloManifest(), { extra: 'x' });
  assert.deepEqual((out.spec as any).arguments.parameters, [
    { name: 'extra', value: 'x' },
    { name: 'message', value: 'hello' },
    { name: 'count', value: '1' },
  ]);
});

test('leaves the caller manifest unchanged', () => {
  const manifest = helloManifest();
  applySubmitParameters(manifest, { message: 'changed' });
  assert.equal((manifest.spec as any).arguments.parameters[0].value, 'hello');
});

test('creates spec.arguments when the manifest has none', () => {
  const manifest = helloManifest();
  delete (manifest.spec as any).arguments;
  const out = applySubmitParameters(manifest, { a: '1' });
  assert.deepEqual((out.spec as any).arguments, { parameters: [{ name: 'a', value: '1' }] });
});
