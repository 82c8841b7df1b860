-- The engine's resource version of the workflow as last recorded: node details are cached per version.
ALTER TABLE recipe_runs ADD COLUMN resource_version text;
-- /runs pages newest first (admin: all runs; users: their own) are read straight off these indexes.
CREATE INDEX recipe_runs_page_idx ON recipe_runs (submitted_at DESC, id DESC);
CREATE INDEX recipe_runs_user_page_idx ON recipe_runs (user_id, submitted_at DESC, id DESC);
-- Unfinished runs, which the engine's full lists are checked against.
CREATE INDEX recipe_runs_unfinished_idx ON recipe_runs (engine) WHERE finished_at IS NULL AND workflow_name IS NOT NULL;
