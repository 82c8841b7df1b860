-- Users come from two sources: local accounts (issuer NULL, unique by name) and an OpenID
-- provider (issuer = its `iss`, subject = the token's `sub`, unique by both). A provider user
-- and a local account with the same name are different rows, so different owners of runs.
ALTER TABLE users ADD COLUMN issuer text;
ALTER TABLE users ADD COLUMN subject text;
DROP INDEX IF EXISTS users_name_key;
CREATE UNIQUE INDEX users_local_name_key ON users (name) WHERE issuer IS NULL;
CREATE UNIQUE INDEX users_oidc_subject_key ON users (issuer, subject) WHERE issuer IS NOT NULL;

-- Refresh tokens of local accounts, stored as the SHA-256 of the token only. Each use marks the
-- row used and issues a successor in the same family; presenting a used token again revokes the
-- whole family (it was copied). A token also ends with the user's token version.
CREATE TABLE refresh_tokens (
  token_hash text PRIMARY KEY,
  family text NOT NULL,
  user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  token_version bigint NOT NULL,
  issued_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at timestamptz,
  revoked_at timestamptz
);
CREATE INDEX refresh_tokens_family_idx ON refresh_tokens (family);
CREATE INDEX refresh_tokens_user_idx ON refresh_tokens (user_id);
