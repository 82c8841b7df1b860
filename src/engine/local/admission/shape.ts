/** The shape check of a manifest: allowed keys, each with how its value is checked (admission/shapes.ts). */
import { ManifestRejectedError } from '../../errors.ts';
import { ExpressionError } from '../errors.ts';
import { parseExpression } from '../expressions/expr.ts';

type Obj = Record<string, unknown>;

/** What every refusal of a feature the local engine lacks ends with. */
export const USE_ARGO = 'use the Argo engine (ARGO_WORKFLOWS_SERVICE_URL)';
/** Allowed keys → how to check the value (`true`: accept as is). */
export type Shape = { [key: string]: true | Shape | ((value: unknown, path: string) => void) };

export const listOf = (shape: Shape) => (value: unknown, path: string) => {
  if (!Array.isArray(value)) return;
  value.forEach((v, i) => checkShape(v, shape, `${path}[${i}]`));
};

export function checkShape(value: unknown, shape: Shape, path: string): void {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return;
  for (const [key, v] of Object.entries(value as Obj)) {
    const rule = shape[key];
    const here = `${path}.${key}`;
    if (rule === undefined) throw new ManifestRejectedError(`${here} is not supported by the local engine; ${USE_ARGO}`, here);
    if (rule === true) continue;
    if (typeof rule === 'function') rule(v, here);
    else checkShape(v, rule, here);
  }
}

export function reject(field: string, message: string): never {
  throw new ManifestRejectedError(`${field}: ${message}`, field);
}

export function checkExpression(src: string, field: string): void {
  try {
    parseExpression(src);
  } catch (err) {
    if (err instanceof ExpressionError) reject(field, err.message);
    throw err;
  }
}
