import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InvalidInputFileError, InvalidRecipeForTranslationError, UnsupportedOutputError } from '../../src/translate/errors.ts';
import { translateRecipe } from '../../src/translate/index.ts';
import { options, shellRecipe, vizRecipe } from './fixtures.ts';

describe('recipes that cannot become workflows fail with a typed error naming what is wrong', () => {
  it('refuses a dataone output: not publishable yet', () => {
    assert.throws(
      () => translateRecipe(shellRecipe({ output: 'dataone' }), options),
      (e: unknown) => {
        assert.ok(e instanceof UnsupportedOutputError);
        assert.equal(e.outputType, 'dataone');
        assert.match(e.message, /output\.type "dataone" is not implemented/);
        return true;
      },
    );
  });

  it('refuses a visualization recipe whose output is not pvc', () => {
    assert.throws(
      () => translateRecipe(vizRecipe({ output: 'temporary' }), options),
      /a visualization workflow can only publish to "pvc", but output.type is "temporary"/,
    );
  });

  it('refuses two inputs with the same file name, naming both URLs', () => {
    const inputs = [
      { url: 'https://a.org/x/data.tif', filename: 'data.tif' },
      { url: 'https://b.org/y/data.tif', filename: 'data.tif' },
    ];
    assert.throws(
      () => translateRecipe(shellRecipe({ inputs }), options),
      (e: unknown) => {
        assert.ok(e instanceof InvalidInputFileError);
        assert.match(e.message, /"https:\/\/b.org\/y\/data.tif".*another input \("https:\/\/a.org\/x\/data.tif"\) has the same file name/);
        return true;
      },
    );
  });

  it('refuses file names that would escape the input folder or break the input list', () => {
    for (const filename of ['../etc/passwd', '..', 'a\tb', 'a\nb', '']) {
      assert.throws(
        () => translateRecipe(shellRecipe({ inputs: [{ url: 'https://a.org/x', filename }] }), options),
        InvalidInputFileError,
        JSON.stringify(filename),
      );
    }
  });

  it('refuses non-http URLs and URLs with whitespace', () => {
    for (const url of ['file:///etc/passwd', 'https://a.org/x y', 'ftp://a.org/x']) {
      assert.throws(() => translateRecipe(shellRecipe({ inputs: [{ url, filename: 'x' }] }), options), /must be http\(s\)/);
    }
  });

  it('refuses a recipe without input files', () => {
    assert.throws(() => translateRecipe(shellRecipe({ inputs: [] }), options), /input\.params: no input files to fetch/);
  });

  it('refuses a recipe id that is only dots, which would name the volume root', () => {
    assert.throws(
      () => translateRecipe(shellRecipe({ name: '..', id: '..' }), options),
      (e: unknown) => {
        assert.ok(e instanceof InvalidRecipeForTranslationError);
        assert.equal(e.field, 'name');
        return true;
      },
    );
  });

  it('refuses a parallel workflow without an upload prefix', () => {
    assert.throws(() => translateRecipe(shellRecipe({ parallel: true }), { ...options, uploadPrefix: '/' }), /uploadPrefix/);
  });
});
