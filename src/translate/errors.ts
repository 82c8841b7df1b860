/** Base class: a recipe that passed validation still cannot become a workflow. Carries the recipe id. */
export class TranslationError extends Error {
  constructor(
    readonly recipeId: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TranslationError';
  }
}

/** The recipe's output type cannot be published by this workflow kind (e.g. `dataone`). */
export class UnsupportedOutputError extends TranslationError {
  constructor(
    recipeId: string,
    readonly outputType: string,
    readonly workflowType: string,
  ) {
    super(
      recipeId,
      workflowType === 'visualization'
        ? `recipe "${recipeId}": a visualization workflow can only publish to "pvc", but output.type is "${outputType}"`
        : `recipe "${recipeId}": publishing to output.type "${outputType}" is not implemented yet (use "pvc" or "temporary")`,
    );
    this.name = 'UnsupportedOutputError';
  }
}

/** An input file cannot be fetched safely: bad or duplicate file name, or a URL the fetch step cannot carry. */
export class InvalidInputFileError extends TranslationError {
  constructor(
    recipeId: string,
    readonly url: string,
    readonly filename: string,
    reason: string,
  ) {
    super(recipeId, `recipe "${recipeId}": input ${JSON.stringify(url)} (file name ${JSON.stringify(filename)}): ${reason}`);
    this.name = 'InvalidInputFileError';
  }
}

/** The recipe has nothing to fetch, or its id cannot name a folder on the workflow volume. */
export class InvalidRecipeForTranslationError extends TranslationError {
  constructor(
    recipeId: string,
    readonly field: string,
    reason: string,
  ) {
    super(recipeId, `recipe "${recipeId}": ${field}: ${reason}`);
    this.name = 'InvalidRecipeForTranslationError';
  }
}
