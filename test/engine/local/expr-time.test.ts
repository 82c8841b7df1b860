import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ExpressionError } from '../../../src/engine/local/errors.ts';
import { CLOCK, evaluateExpression } from '../../../src/engine/local/expressions/expr.ts';

const at = new Date('2026-01-05T10:00:00Z');
const env = { last: new Date('2026-01-05T09:54:00Z'), none: null, [CLOCK]: () => at };

describe('time in expressions, as expr gives Go', () => {
  test('now() minus a time is a duration with Go methods', () => {
    assert.equal(evaluateExpression('(now() - last).Seconds()', env), 360);
    assert.equal(evaluateExpression('(now() - last).Minutes()', env), 6);
    assert.equal(evaluateExpression('(now() - last).Hours() < 1', env), true);
    assert.equal(evaluateExpression('now().Sub(last).Seconds()', env), 360);
  });

  test("Argo's CronWorkflow when: nil first, then the age of the last run", () => {
    const when = 'none == nil || (now() - none).Seconds() > 360';
    assert.equal(evaluateExpression(when, env), true, 'nil short-circuits');
    assert.equal(evaluateExpression('last == nil || (now() - last).Seconds() > 360', env), false);
    assert.equal(evaluateExpression('last == nil || (now() - last).Seconds() >= 360', env), true);
  });

  test('date() and duration() parse; times and durations add, compare and format', () => {
    assert.equal(evaluateExpression('date("2026-01-05T11:00:00Z") > now()', env), true);
    assert.equal(evaluateExpression('now() + duration("1h30m") == date("2026-01-05T11:30:00Z")', env), true);
    assert.equal(evaluateExpression('(now() - duration("90s")).Unix()', env), at.getTime() / 1000 - 90);
    assert.equal(evaluateExpression('duration("2m") > duration("90s")', env), true);
    assert.equal(evaluateExpression('now().Format("2006-01-02 15:04")', env), '2026-01-05 10:00');
    assert.equal(evaluateExpression('now().Year() * 100 + now().Month()', env), 202601);
  });

  test('without a clock in the environment, now() is the time now', () => {
    const before = Date.now();
    const unix = evaluateExpression('now().UnixMilli()', {}) as number;
    assert.ok(unix >= before && unix <= Date.now() + 1000, String(unix));
  });

  test('wrong uses fail naming the problem', () => {
    assert.throws(
      () => evaluateExpression('date("not a date")', env),
      (e: Error) => e instanceof ExpressionError && /cannot parse/.test(e.message),
    );
    assert.throws(() => evaluateExpression('duration("5 minutes")', env), /cannot parse "5 minutes" as a duration/);
    assert.throws(() => evaluateExpression('now() * 2', env), /invalid operation: time.Time \* number/);
    assert.throws(() => evaluateExpression('now().Nanoseconds()', env), /time.Time has no method Nanoseconds\(\)/);
    assert.throws(() => evaluateExpression('"x".Seconds()', env), /string has no method Seconds\(\)/);
  });
});
