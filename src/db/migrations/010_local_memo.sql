-- Local engine: `memoize` caches (Argo keeps them in a ConfigMap per cache), so a restart keeps them.
-- id is `<owner>/<namespace>/<cache>/<key>`: a service user's entries are theirs alone.
CREATE TABLE local_memo (
  id text PRIMARY KEY,
  outputs jsonb NOT NULL,
  saved_at timestamptz NOT NULL DEFAULT now()
);
