import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateWorkflowManifest } from '../../src/argo/schema.ts';
import { translateRecipe } from '../../src/translate/index.ts';
import { makeGenerateName, toLabelValue } from '../../src/translate/naming.ts';
import { options, shellRecipe } from './fixtures.ts';

/** What the API server accepts for a name, plus our stricter DNS-label rule. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const SUFFIX = 'bcdfg';

describe('workflow names', () => {
  it('is the recipe id, the kind and a trailing dash', () => {
    assert.equal(makeGenerateName('water-measurements-from-seal-tag-data', 'shell'), 'water-measurements-from-seal-tag-data-shell-');
    assert.equal(makeGenerateName('ice', 'parallel-shell'), 'ice-parallel-shell-');
  });

  it('shortens a long id so that the final name, with the 5-character suffix, is at most 63 characters', () => {
    for (const kind of ['shell', 'parallel-shell', 'visualization'] as const) {
      const generateName = makeGenerateName('a'.repeat(200), kind);
      assert.equal(generateName.length + SUFFIX.length, 63, kind);
      assert.ok(generateName.endsWith(`-${kind}-`));
      assert.match(generateName + SUFFIX, DNS_LABEL);
    }
  });

  it('does not leave a dash or dot before the kind when the cut falls on one', () => {
    // 49 letters then a dash: the cut for "shell" keeps 51 characters, ending in "-".
    const generateName = makeGenerateName(`${'b'.repeat(50)}-c${'d'.repeat(30)}`, 'shell');
    assert.equal(generateName, `${'b'.repeat(50)}-shell-`);
    assert.match(generateName + SUFFIX, DNS_LABEL);
  });

  it('turns dots and runs of separators into single dashes, keeping the name a DNS label', () => {
    assert.equal(makeGenerateName('v1.2..final-.data', 'shell'), 'v1-2-final-data-shell-');
    assert.equal(makeGenerateName('.hidden.recipe.', 'shell'), 'hidden-recipe-shell-');
    assert.equal(makeGenerateName('...-', 'shell'), 'recipe-shell-');
  });

  it('a recipe with a dotted, very long name still renders a schema-valid manifest with valid labels', () => {
    const name = `Version 2.1 of the ${'very '.repeat(20)}long recipe`;
    const { workflow } = translateRecipe(shellRecipe({ name }), { ...options, submitter: 'ünïcode user@example.org' });
    assert.deepEqual(validateWorkflowManifest(workflow), { valid: true });
    assert.match(`${workflow.metadata.generateName}${SUFFIX}`, DNS_LABEL);
    assert.ok(`${workflow.metadata.generateName}${SUFFIX}`.length <= 63);
    for (const [key, value] of Object.entries(workflow.metadata.labels ?? {})) {
      assert.ok(value.length <= 63, `${key} is too long`);
      assert.match(value, LABEL_VALUE, key);
    }
    assert.equal(workflow.metadata.labels?.['ogdc/submitter'], 'n_code_user_example.org');
    assert.ok(workflow.metadata.labels?.['ogdc/recipe-id']?.startsWith('version-2.1-of-the-very-'));
  });
});

describe('label values', () => {
  it('keeps valid values unchanged', () => {
    assert.equal(toLabelValue('alice'), 'alice');
    assert.equal(toLabelValue('seal.tags-2_0'), 'seal.tags-2_0');
  });
  it('replaces forbidden characters, trims to 63 and to alphanumeric ends', () => {
    assert.equal(toLabelValue('bob smith'), 'bob_smith');
    assert.equal(toLabelValue('-x-'), 'x');
    assert.equal(toLabelValue('@@@'), '');
    const long = toLabelValue(`${'a'.repeat(62)}.b`);
    assert.equal(long, 'a'.repeat(62));
  });
  it('omits the submitter label when nothing of the name survives', () => {
    const { workflow } = translateRecipe(shellRecipe(), { ...options, submitter: '@@' });
    assert.equal(workflow.metadata.labels?.['ogdc/submitter'], undefined);
  });
});
