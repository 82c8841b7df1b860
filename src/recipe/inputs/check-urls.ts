import type { Checker } from '../meta/check.ts';
import type { InputParam } from '../types.ts';
import { fetchFailureReason, timeoutSignal } from './http.ts';

/** Checks with HEAD requests (redirects followed) that every URL input answers 2xx; failures become problems. */
export async function checkUrlInputs(
  check: Checker,
  params: Array<InputParam | undefined>,
  options: { timeoutMs?: number; signal?: AbortSignal },
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const failures = await Promise.all(
    params.map(async (param): Promise<string | undefined> => {
      if (param?.type !== 'url') return undefined;
      try {
        const response = await fetch(param.value, { method: 'HEAD', redirect: 'follow', signal: timeoutSignal(timeoutMs, options.signal) });
        return response.ok ? undefined : `HTTP ${response.status}`;
      } catch (error) {
        return fetchFailureReason(error, timeoutMs);
      }
    }),
  );
  // Reported in param order, not completion order, so the output is stable.
  failures.forEach((failure, index) => {
    const param = params[index];
    if (failure !== undefined && param?.type === 'url') {
      check.report(`input.params[${index}].value`, `URL check failed for ${param.value}: ${failure}`);
    }
  });
}
