import type { Queryable } from '../../db/types.ts';
import { isUniqueViolation } from '../../db/errors.ts';
import { UserExistsError } from './errors.ts';

export interface User {
  id: number;
  name: string;
  passwordHash: string;
  isAdmin: boolean;
  createdAt: Date;
  /** Tokens issued before this instant are refused. */
  passwordChangedAt: Date;
  disabledAt: Date | null;
  /** Tokens name it; moved on (epoch milliseconds) by a password change or disable. */
  tokenVersion: number;
  /** The OpenID provider (`iss`) a provider user came from; null for a local account. */
  issuer: string | null;
}

interface UserRow {
  id: string | number;
  name: string;
  password_hash: string;
  is_admin: boolean;
  created_at: Date | string;
  password_changed_at: Date | string;
  disabled_at: Date | string | null;
  token_version: string | number;
  issuer: string | null;
}

const COLUMNS = 'id, name, password_hash, is_admin, created_at, password_changed_at, disabled_at, token_version, issuer';

function toUser(row: UserRow): User {
  return {
    id: Number(row.id),
    name: row.name,
    passwordHash: row.password_hash,
    isAdmin: row.is_admin,
    createdAt: new Date(row.created_at),
    passwordChangedAt: new Date(row.password_changed_at),
    disabledAt: row.disabled_at === null ? null : new Date(row.disabled_at),
    tokenVersion: Number(row.token_version),
    issuer: row.issuer,
  };
}

// Every login and every user-cache refresh runs this lookup.
const FIND_BY_NAME = { name: 'ogdc_find_local_user_by_name', text: `SELECT ${COLUMNS} FROM users WHERE name = $1 AND issuer IS NULL` };

/** Finds a local account by its unique name (provider users are never found by name). */
export async function findUserByName(db: Queryable, name: string): Promise<User | undefined> {
  const rows = await db.prepared<UserRow>(FIND_BY_NAME, [name]);
  return rows[0] ? toUser(rows[0]) : undefined;
}

/** Inserts a user; the unique index decides races, the loser gets UserExistsError. */
export async function insertUser(db: Queryable, user: { name: string; passwordHash: string; isAdmin?: boolean }): Promise<User> {
  try {
    const rows = await db.query<UserRow>(`INSERT INTO users (name, password_hash, is_admin) VALUES ($1, $2, $3) RETURNING ${COLUMNS}`, [
      user.name,
      user.passwordHash,
      user.isAdmin ?? false,
    ]);
    return toUser(rows[0]!);
  } catch (err) {
    if (isUniqueViolation(err)) throw new UserExistsError(user.name);
    throw err;
  }
}

/** Finds a user by row id (local or provider). */
export async function findUserById(db: Queryable, id: number): Promise<User | undefined> {
  const rows = await db.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE id = $1`, [id]);
  return rows[0] ? toUser(rows[0]) : undefined;
}

const UPSERT_PROVIDER_USER = {
  name: 'ogdc_upsert_provider_user',
  text: `INSERT INTO users (name, password_hash, issuer, subject) VALUES ($1, '!', $2, $3)
         ON CONFLICT (issuer, subject) WHERE issuer IS NOT NULL DO UPDATE SET name = EXCLUDED.name, updated_at = now()
         WHERE users.name IS DISTINCT FROM EXCLUDED.name
         RETURNING ${COLUMNS}`,
};
const FIND_PROVIDER_USER = { name: 'ogdc_find_provider_user', text: `SELECT ${COLUMNS} FROM users WHERE issuer = $1 AND subject = $2` };

/**
 * The row of an OpenID provider's user (`issuer`, `subject`), created on first sight and renamed
 * when the provider's `preferred_username` changed. Its password hash `!` matches no password.
 */
export async function ensureProviderUser(db: Queryable, user: { issuer: string; subject: string; name: string }): Promise<User> {
  const found = await db.prepared<UserRow>(FIND_PROVIDER_USER, [user.issuer, user.subject]);
  if (found[0] && found[0].name === user.name) return toUser(found[0]);
  const rows = await db.prepared<UserRow>(UPSERT_PROVIDER_USER, [user.name, user.issuer, user.subject]);
  if (rows[0]) return toUser(rows[0]);
  // A concurrent request inserted or renamed it first.
  const again = await db.prepared<UserRow>(FIND_PROVIDER_USER, [user.issuer, user.subject]);
  return toUser(again[0]!);
}

/** All users, oldest first. */
export async function listUsers(db: Queryable): Promise<User[]> {
  const rows = await db.query<UserRow>(`SELECT ${COLUMNS} FROM users ORDER BY id`);
  return rows.map(toUser);
}

// The next token version: now in milliseconds, and always past the current one, so two
// changes within one millisecond still end the tokens of the first.
const BUMP = 'token_version = greatest(token_version + 1, (extract(epoch from clock_timestamp()) * 1000)::bigint)';

/** Replaces a user's password hash; ends every token issued before. */
export async function updatePasswordHash(db: Queryable, userId: number, passwordHash: string): Promise<void> {
  await db.query(`UPDATE users SET password_hash = $2, password_changed_at = now(), updated_at = now(), ${BUMP} WHERE id = $1`, [
    userId,
    passwordHash,
  ]);
}

/** Marks a local account disabled (ending its tokens) or enabled again with `disabled = false` (old tokens stay ended). */
export async function setUserDisabled(db: Queryable, name: string, disabled: boolean): Promise<boolean> {
  const rows = await db.query(
    `UPDATE users SET disabled_at = ${disabled ? 'now()' : 'NULL'}, updated_at = now()${disabled ? `, ${BUMP}` : ''} WHERE name = $1 AND issuer IS NULL RETURNING id`,
    [name],
  );
  return rows.length > 0;
}

/** Deletes a local account and, through the foreign key, their runs. */
export async function deleteUser(db: Queryable, name: string): Promise<boolean> {
  const rows = await db.query('DELETE FROM users WHERE name = $1 AND issuer IS NULL RETURNING id', [name]);
  return rows.length > 0;
}
