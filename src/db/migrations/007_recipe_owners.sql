-- A published recipe id belongs to the user whose submission first claimed it; only they (and
-- admin) may publish it again. Existing publications go to the user of their first successful run.
CREATE TABLE recipe_owners (
  recipe_id text PRIMARY KEY,
  user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  claimed_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO recipe_owners (recipe_id, user_id, claimed_at)
SELECT DISTINCT ON (recipe_id) recipe_id, user_id, submitted_at
FROM recipe_runs
WHERE output_type = 'pvc' AND phase = 'Succeeded'
ORDER BY recipe_id, submitted_at, id;

-- Only runs that publish to the volume (pvc) contend for a recipe id: temporary outputs are
-- written to the run's own area and its own zip key, so they never block anyone.
DROP INDEX recipe_runs_one_active_per_recipe;
CREATE UNIQUE INDEX recipe_runs_one_active_per_published_recipe ON recipe_runs (recipe_id)
  WHERE finished_at IS NULL AND output_type = 'pvc';
