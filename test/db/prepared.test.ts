import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { sqlLiterals } from '../../src/db/pglite.ts';
import { DatabaseInputError } from '../../src/db/errors.ts';
import type { Db } from '../../src/db/types.ts';
import { dbTargets } from '../helpers/db.ts';

const ECHO = { name: 'test_echo', text: 'SELECT $1::text AS t, $2::int AS n, $3::boolean AS b, $4::timestamptz AS at' };

describe('SQL literals for EXECUTE', () => {
  it('quotes strings so that no value can end the literal', () => {
    assert.equal(sqlLiterals(["it's"]), "'it''s'");
    assert.equal(sqlLiterals(['a\\b']), " E'a\\\\b'");
    assert.equal(sqlLiterals([null, undefined, 3, 10n, true, false]), 'NULL, NULL, 3, 10, TRUE, FALSE');
    assert.equal(sqlLiterals([new Date('2026-01-02T03:04:05.000Z')]), "'2026-01-02T03:04:05.000Z'");
  });

  it('leaves values without a plain literal to the ordinary query path', () => {
    assert.equal(sqlLiterals(['a\0b']), undefined);
    assert.equal(sqlLiterals([Number.NaN]), undefined);
    assert.equal(sqlLiterals([{ a: 1 }]), undefined);
    assert.equal(sqlLiterals([new Date('nope')]), undefined);
  });
});

for (const target of dbTargets()) {
  describe(`prepared statements on ${target.name}`, () => {
    let db: Db;
    before(async () => {
      db = await target.open();
    });
    after(async () => {
      await db.close();
    });

    it('gives the same rows as the plain query, for every kind of value and again on reuse', async () => {
      const hostile = ["'); DROP TABLE users; --", "back\\slash \\' quote", 'ünïcödé ✓', ''];
      for (const text of hostile) {
        const params = [text, 42, true, new Date('2026-01-02T03:04:05.000Z')];
        const plain = await db.query(ECHO.text, params);
        assert.deepEqual(await db.prepared(ECHO, params), plain);
        assert.equal((await db.prepared<{ t: string }>(ECHO, params))[0]!.t, text);
      }
      assert.deepEqual(await db.prepared(ECHO, [null, null, null, null]), [{ t: null, n: null, b: null, at: null }]);
      const users = await db.query<{ n: string | number }>('SELECT count(*) AS n FROM users');
      assert.ok(users.length === 1);
    });

    it('reports a NUL as bad input, like the plain query', async () => {
      await assert.rejects(db.prepared(ECHO, ['a\0b', 1, true, null]), DatabaseInputError);
    });

    it('runs concurrent first uses of one statement once each', async () => {
      const statement = { name: 'test_concurrent', text: 'SELECT $1::int + 1 AS v' };
      const results = await Promise.all([1, 2, 3, 4].map((n) => db.prepared<{ v: number }>(statement, [n])));
      assert.deepEqual(
        results.map((r) => r[0]!.v),
        [2, 3, 4, 5],
      );
    });

    it('works inside a transaction', async () => {
      const rows = await db.transaction((tx) => tx.prepared<{ t: string }>(ECHO, ['in tx', 1, false, null]));
      assert.equal(rows[0]!.t, 'in tx');
    });
  });
}
