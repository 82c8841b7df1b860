import { DatabaseInputError, DatabaseUnavailableError } from '../../db/errors.ts';
import {
  EngineUnavailableError,
  ManifestRejectedError,
  ResumeRejectedError,
  WorkflowNotFoundError,
  WorkflowNotSuspendedError,
  WorkflowCompletedError,
} from '../../engine/errors.ts';
import { UserExistsError } from '../users/errors.ts';
import { HasherUnavailableError } from '../auth/hasher.ts';
import { ProviderGrantError, ProviderUnavailableError } from '../auth/oidc.ts';
import { S3RequestError, S3UnavailableError } from '../../storage/errors.ts';
import { TranslationError } from '../../translate/errors.ts';
import { DataoneUnavailableError, RecipeSourceError, RecipeSourceUnavailableError, RecipeValidationError } from '../../recipe/errors.ts';

/**
 * Errors thrown by the modules below the HTTP edge and the status each means.
 * One table, so routes never repeat instanceof ladders.
 */
const TABLE: Array<[new (...args: never[]) => Error, number, (e: Error) => string]> = [
  [UserExistsError, 409, (e) => e.message],
  [WorkflowNotFoundError, 404, (e) => `Workflow ${(e as WorkflowNotFoundError).workflowName} not found.`],
  [WorkflowNotSuspendedError, 409, (e) => `Workflow ${(e as WorkflowNotSuspendedError).workflowName} is not suspended.`],
  [
    WorkflowCompletedError,
    409,
    (e) => `Workflow ${(e as WorkflowCompletedError).workflowName} has finished; only a running workflow can be suspended.`,
  ],
  [ResumeRejectedError, 400, (e) => `Workflow ${(e as ResumeRejectedError).workflowName} cannot be resumed: ${e.message}`],
  [ManifestRejectedError, 422, (e) => `The workflow engine refused the manifest: ${e.message}`],
  [DatabaseInputError, 400, (e) => `Bad request: ${e.message}.`],
  [HasherUnavailableError, 503, () => 'Password checking is unavailable; try again shortly.'],
  [DatabaseUnavailableError, 503, () => 'The database is unavailable; try again shortly.'],
  [S3UnavailableError, 503, (e) => `The artifact store is unavailable: ${e.message}`],
  [S3RequestError, 503, (e) => `The artifact store refused the request: ${e.message}`],
  [EngineUnavailableError, 503, (e) => `The workflow engine is unavailable: ${e.message}`],
  [RecipeValidationError, 422, (e) => `Recipe is invalid:\n${e.message}`],
  [TranslationError, 422, (e) => `Recipe cannot be translated into a workflow: ${e.message}`],
  [RecipeSourceError, 400, (e) => e.message],
  [RecipeSourceUnavailableError, 400, (e) => `The recipe could not be fetched: ${e.message}`],
  [DataoneUnavailableError, 503, (e) => e.message],
  [ProviderUnavailableError, 503, (e) => `${e.message}.`],
  [ProviderGrantError, 401, (e) => `The OpenID provider refused: ${e.message}`],
];

/** The HTTP status and detail for a known error, or undefined. */
export function mapDomainError(error: Error): { status: number; detail: string } | undefined {
  for (const [type, status, detail] of TABLE) {
    if (error instanceof type) return { status, detail: detail(error) };
  }
  return undefined;
}
