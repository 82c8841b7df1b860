import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { matchesFilename } from '../../src/recipe/inputs/glob.ts';
import { urlFilename } from '../../src/recipe/inputs/filename.ts';
import { recipeId } from '../../src/recipe/meta/validate.ts';
import { parseSteps } from '../../src/recipe/steps.ts';

describe('recipe.sh steps', () => {
  it('keeps non-empty lines that do not start with #, trimmed', () => {
    assert.deepEqual(parseSteps('#!/bin/sh\n\n  # indented comment\n  gdalinfo a.tif  \r\necho "# not a comment"\n   \n'), [
      'gdalinfo a.tif',
      'echo "# not a comment"',
    ]);
  });
});

describe('DataONE file-name filters', () => {
  it('matches * and ? case-insensitively over the whole name', () => {
    assert.ok(matchesFilename('percent_GRIS_2015.NC', 'percent_gris_*.nc'));
    assert.ok(matchesFilename('a1.tif', 'a?.tif'));
    assert.ok(!matchesFilename('a12.tif', 'a?.tif'));
    assert.ok(!matchesFilename('xa1.tif', 'a?.tif'));
  });

  it('treats every other character literally', () => {
    assert.ok(matchesFilename('ct71_ODV.csv', 'ct71_ODV.csv'));
    assert.ok(!matchesFilename('ct71_ODVxcsv', 'ct71_ODV.csv'));
    assert.ok(matchesFilename('a[1].tif', 'a[1].tif'));
    assert.ok(!matchesFilename('a1.tif', 'a[1].tif'));
  });
});

describe('names', () => {
  it('derives the recipe id from the name', () => {
    assert.equal(recipeId('Water measurements from seal tag data'), 'water-measurements-from-seal-tag-data');
  });

  it('names URL inputs after the last path segment, decoded and made safe', () => {
    assert.equal(urlFilename('https://h/x/N_202309_concentration_v4.0.tif?token=1'), 'N_202309_concentration_v4.0.tif');
    assert.equal(urlFilename('https://h/x/my%20file.tif'), 'my file.tif');
    assert.equal(urlFilename('https://h/x/..%2Fetc%2Fpasswd'), '.._etc_passwd');
    assert.equal(urlFilename('https://h/dir/'), undefined);
  });
});
