import { ConflictError } from '../errors.ts';

/** Another run of the same recipe has not finished yet. */
export class RunInProgressError extends ConflictError {
  constructor(readonly recipeId: string) {
    super(`A run of recipe ${recipeId} is still in progress; wait for it to finish or cancel it.`);
    this.name = 'RunInProgressError';
  }
}

/** The recipe's `pvc` output exists and the submission did not ask to overwrite it. */
export class AlreadyPublishedError extends ConflictError {
  constructor(readonly recipeId: string) {
    super(`Data for recipe ${recipeId} have already been published. Submit with overwrite to replace them.`);
    this.name = 'AlreadyPublishedError';
  }
}

/** The recipe id's published output belongs to another user (only they, or admin, may publish it). */
export class RecipeOwnedError extends ConflictError {
  constructor(readonly recipeId: string) {
    super(`Recipe ${recipeId} was published by another user; only that user or an admin can publish it. Choose another recipe name.`);
    this.name = 'RecipeOwnedError';
  }
}
