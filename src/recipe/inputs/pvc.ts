import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { Checker } from '../meta/check.ts';
import type { InputParam, PvcMountInputParam } from '../types.ts';

/** The pvc_mount inputs of a recipe's params. */
export function pvcInputs(params: ReadonlyArray<InputParam | undefined>): PvcMountInputParam[] {
  return params.filter((p): p is PvcMountInputParam => p?.type === 'pvc_mount');
}

/** `path` inside the claim without leading or trailing slashes ("" for the claim's root). */
export function pathInClaim(param: PvcMountInputParam): string {
  return param.path.replace(/^\/+|\/+$/g, '');
}

/**
 * Checks what only the deployment knows: the claim is one recipes may read and, where the claim's files are on
 * this machine (the local engine), that the input's path is a folder there.
 */
export async function checkPvcInputs(
  check: Checker,
  params: ReadonlyArray<InputParam | undefined>,
  options: { allowedInputPvcs?: string[]; claimFolder?: (claim: string) => string | undefined },
): Promise<void> {
  for (const [index, param] of params.entries()) {
    if (param?.type !== 'pvc_mount') continue;
    const at = `input.params[${index}]`;
    if (options.allowedInputPvcs && !options.allowedInputPvcs.includes(param.claim_name)) {
      check.report(
        `${at}.claim_name`,
        `claim ${JSON.stringify(param.claim_name)} is not one recipes may read (the workflow PVC and OGDC_ALLOWED_INPUT_PVCS)`,
      );
      continue;
    }
    const claimFolder = options.claimFolder?.(param.claim_name);
    if (claimFolder === undefined) continue;
    const folder = path.join(claimFolder, pathInClaim(param));
    const info = await stat(folder).catch(() => undefined);
    if (!info?.isDirectory())
      check.report(`${at}.path`, `${JSON.stringify(param.path)} is not a folder in claim ${JSON.stringify(param.claim_name)}`);
  }
}
