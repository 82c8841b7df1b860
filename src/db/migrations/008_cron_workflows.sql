-- CronWorkflows the service schedules on the local engine (Argo's cron controller, run in one replica).
-- The manifest is kept as submitted; status fields are Argo's CronWorkflowStatus.
CREATE TABLE cron_workflows (
  id bigserial PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  namespace text NOT NULL,
  name text NOT NULL,
  manifest jsonb NOT NULL,
  suspended boolean NOT NULL DEFAULT false,
  phase text NOT NULL DEFAULT 'Active',
  last_scheduled_time timestamptz,
  succeeded integer NOT NULL DEFAULT 0,
  failed integer NOT NULL DEFAULT 0,
  conditions jsonb NOT NULL DEFAULT '[]',
  created_at timestamptz NOT NULL DEFAULT now()
);
-- Argo names a CronWorkflow uniquely in its namespace; here uniquely across namespaces, since the local
-- engine names workflows in one space and runs are named <name>-<unix time>.
CREATE UNIQUE INDEX cron_workflows_name_key ON cron_workflows (name);
CREATE INDEX cron_workflows_user_idx ON cron_workflows (user_id, name);

-- The Workflows a CronWorkflow created; finished_at IS NULL: still in status.active.
CREATE TABLE cron_workflow_runs (
  workflow_name text PRIMARY KEY,
  cron_id bigint NOT NULL REFERENCES cron_workflows (id) ON DELETE CASCADE,
  scheduled_time timestamptz NOT NULL,
  phase text,
  finished_at timestamptz
);
CREATE INDEX cron_workflow_runs_cron_idx ON cron_workflow_runs (cron_id, scheduled_time);
