CREATE TABLE recipe_runs (
  id bigserial PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  recipe_path text NOT NULL,
  recipe_id text NOT NULL,
  recipe_name text NOT NULL,
  workflow_name text,
  engine text NOT NULL,
  output_type text NOT NULL,
  overwrite boolean NOT NULL DEFAULT false,
  phase text,
  progress text,
  message text,
  output_available boolean NOT NULL DEFAULT false,
  submitted_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz
);
CREATE UNIQUE INDEX recipe_runs_workflow_name_key ON recipe_runs (workflow_name);
CREATE INDEX recipe_runs_user_submitted_idx ON recipe_runs (user_id, submitted_at DESC);
CREATE INDEX recipe_runs_recipe_idx ON recipe_runs (recipe_id, submitted_at DESC);
-- At most one unfinished run per recipe: concurrent submissions of one recipe get exactly one winner.
CREATE UNIQUE INDEX recipe_runs_one_active_per_recipe ON recipe_runs (recipe_id) WHERE finished_at IS NULL;
