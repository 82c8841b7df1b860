-- Every local access token names the version it was issued under; a password change, a disable
-- or a delete moves it on (to the millisecond), which ends every earlier token. 0: never moved,
-- the only state in which a token minted by the Python service (no version, no iat) is accepted.
ALTER TABLE users ADD COLUMN token_version bigint NOT NULL DEFAULT 0;
