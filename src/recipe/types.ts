/** A `url` input of meta.yml. */
interface UrlInputParam {
  type: 'url';
  value: string;
}

/** A `dataone` input of meta.yml: a dataset, optionally filtered by a file-name glob. */
interface DataoneInputParam {
  type: 'dataone';
  dataset_identifier: string;
  filename?: string;
}

/** A `pvc_mount` input: files already on a PersistentVolumeClaim, mounted read-only at `/mnt/data/{claim_name}/`. */
export interface PvcMountInputParam {
  type: 'pvc_mount';
  /** A DNS-1123 label (at most 63 characters). */
  claim_name: string;
  /** Folder within the claim ("" or "/" for its root); never `..`. */
  path: string;
  /** Relative glob matched recursively below `path` (as Python's Path.rglob); default `*`. */
  glob: string;
}

export type InputParam = UrlInputParam | DataoneInputParam | PvcMountInputParam;

export interface ParallelConfig {
  enabled: boolean;
  partition_strategy: 'files';
  partition_size: number | null;
  /** Cap on concurrent pods for this workflow (accepted as in the reference); absent when not set. */
  max_parallelism?: number;
}

export interface ShellWorkflowConfig {
  type: 'shell';
  sh_file: string;
  parallel: ParallelConfig;
}

export interface VisualizationWorkflowConfig {
  type: 'visualization';
  config_file: string | null;
  batch_size: number;
  parallel: ParallelConfig;
}

export type OutputConfig = { type: 'pvc' } | { type: 'temporary' } | { type: 'dataone' };

/** meta.yml after validation, with defaults filled in. */
export interface RecipeConfig {
  name: string;
  /** Lower-case name with spaces replaced by `-`. */
  id: string;
  workflow: ShellWorkflowConfig | VisualizationWorkflowConfig;
  input: { params: InputParam[] };
  output: OutputConfig;
}

/** One file the fetch step downloads, with the name it keeps on disk. */
export interface InputFile {
  url: string;
  filename: string;
  /** DataONE identifier (pid), for dataone inputs. */
  identifier?: string;
  size?: number;
}

/** A validated recipe with everything translation needs, read from its directory. */
export interface Recipe {
  config: RecipeConfig;
  /** Shell steps: the non-empty lines of the sh_file not starting with `#` (empty for visualization). */
  steps: string[];
  /** Parsed visualization config.json, or null when none is given. */
  vizConfig: Record<string, unknown> | null;
  /** Every input resolved to downloadable files (URL inputs as given, DataONE inputs expanded). */
  inputs: InputFile[];
}
