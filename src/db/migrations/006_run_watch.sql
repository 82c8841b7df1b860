-- The engine's resource version of the workflow as last recorded: node details are cached per version.
ALTER TABLE recipe_runs ADD COLUMN resource_version text;
-- /runs pages newest first (admin: all runs; users: their own) are read straight off these indexes.
CREATE INDEX recipe_runs_page_idx ON recipe_runs (submitted_at DESC, id DESC);
CREATE INDEX recipe_runs_user_page_idx ON recipe_runs (user_id, submitted_at DESC, id DESC);
-- Unfinished runs, which the engine's full lists are checked against.
CREATE INDEX recipe_runs_unfinished_idx ON recipe_runs (engine) WHERE finished_at IS NULL AND workflow_name IS NOT NULL;
-- Runs per user, kept by triggers, so /runs says its total without counting every row.
CREATE TABLE recipe_run_counts (
  user_id bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  runs bigint NOT NULL
);
INSERT INTO recipe_run_counts (user_id, runs) SELECT user_id, count(*) FROM recipe_runs GROUP BY user_id;
CREATE FUNCTION recipe_run_counts_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO recipe_run_counts AS c (user_id, runs) VALUES (NEW.user_id, 1)
      ON CONFLICT (user_id) DO UPDATE SET runs = c.runs + 1;
    RETURN NEW;
  END IF;
  UPDATE recipe_run_counts SET runs = runs - 1 WHERE user_id = OLD.user_id;
  RETURN OLD;
END
$$;
CREATE TRIGGER recipe_run_counts_insert AFTER INSERT ON recipe_runs FOR EACH ROW EXECUTE FUNCTION recipe_run_counts_keep();
CREATE TRIGGER recipe_run_counts_delete AFTER DELETE ON recipe_runs FOR EACH ROW EXECUTE FUNCTION recipe_run_counts_keep();
