-- WorkflowTemplates and ClusterWorkflowTemplates the service keeps for `workflowTemplateRef` and `templateRef`
-- in the CronWorkflows it runs (local engine). A WorkflowTemplate belongs to its user: their references resolve
-- to their own templates of the namespace, never another user's. A ClusterWorkflowTemplate (user_id NULL,
-- namespace '') is kept by admin and resolves for everyone (`clusterScope: true`).
CREATE TABLE workflow_templates (
  id bigserial PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('WorkflowTemplate', 'ClusterWorkflowTemplate')),
  user_id bigint REFERENCES users (id) ON DELETE CASCADE,
  namespace text NOT NULL,
  name text NOT NULL,
  manifest jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((kind = 'ClusterWorkflowTemplate') = (user_id IS NULL))
);
CREATE UNIQUE INDEX workflow_templates_user_key ON workflow_templates (user_id, namespace, name) WHERE user_id IS NOT NULL;
CREATE UNIQUE INDEX workflow_templates_cluster_key ON workflow_templates (name) WHERE user_id IS NULL;
