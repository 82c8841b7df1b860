-- Failed logins per user name ('u:NAME') and per client ('c:ADDRESS'), shared by every replica.
-- Only failures are recorded; a success clears both keys.
CREATE TABLE login_failures (
  key text PRIMARY KEY,
  failures integer NOT NULL,
  last_failure_at timestamptz NOT NULL,
  blocked_until timestamptz NOT NULL
);
