/**
 * Argo Server answered with an error the engine has no better name for (an
 * unexpected 4xx, or a 5xx that retrying cannot fix). Carries Argo's gRPC code and message.
 */
export class ArgoApiError extends Error {
  constructor(
    readonly serviceUrl: string,
    readonly operation: string,
    readonly status: number,
    readonly grpcCode: number | undefined,
    readonly argoMessage: string,
  ) {
    super(`Argo Server at ${serviceUrl} refused to ${operation}: HTTP ${status}: ${argoMessage}`);
    this.name = 'ArgoApiError';
  }
}
