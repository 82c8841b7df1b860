/** Bounds on staging a recipe; defaults suit recipes, which are a few small text files. */
export interface StageLimits {
  /** Total bytes of the staged recipe's files. */
  maxBytes: number;
  /** Files and directories in the staged recipe. */
  maxFiles: number;
  /** Bytes downloaded for a remote archive (GitHub), before decompression. */
  maxDownloadBytes: number;
  /** Bytes of a whole decompressed archive, including parts outside the recipe (guards against gzip bombs). */
  maxArchiveBytes: number;
  /** Wall-clock bound on the whole staging. */
  timeoutMs: number;
}

export const DEFAULT_LIMITS: StageLimits = {
  maxBytes: 50 * 1024 * 1024,
  maxFiles: 1000,
  maxDownloadBytes: 100 * 1024 * 1024,
  maxArchiveBytes: 1024 * 1024 * 1024,
  timeoutMs: 120_000,
};
