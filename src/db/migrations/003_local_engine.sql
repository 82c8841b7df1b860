-- Local workflow engine: workflows it runs and their nodes, so a restart loses nothing.
CREATE TABLE local_workflows (
  name text PRIMARY KEY,
  uid text NOT NULL,
  namespace text NOT NULL,
  labels jsonb NOT NULL DEFAULT '{}'::jsonb,
  -- apiVersion, kind, metadata and spec as submitted (parameters applied)
  manifest jsonb NOT NULL,
  phase text,
  -- status without nodes (those live in local_nodes)
  status jsonb NOT NULL DEFAULT '{}'::jsonb,
  created_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  delete_after timestamptz
);
CREATE INDEX local_workflows_phase_idx ON local_workflows (phase);
CREATE INDEX local_workflows_labels_idx ON local_workflows USING gin (labels);

CREATE TABLE local_nodes (
  workflow_name text NOT NULL REFERENCES local_workflows (name) ON DELETE CASCADE,
  node_id text NOT NULL,
  status jsonb NOT NULL,
  PRIMARY KEY (workflow_name, node_id)
);
