import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { decodeJwt } from 'jose';
import { CliError } from './errors.ts';

type Env = Record<string, string | undefined>;

/**
 * The token file the v0.4 Python CLI keeps too: `{"access_token": …, "refresh_token": …}`
 * (either may be absent), written with mode 0600.
 */
export interface StoredTokens {
  access_token?: string;
  refresh_token?: string;
}

/** TOKEN_CACHE_FILE, else $XDG_CONFIG_HOME/ogdc/tokens.json, else ~/.config/ogdc/tokens.json. */
export function tokenFilePath(env: Env = process.env): string {
  if (env.TOKEN_CACHE_FILE) return env.TOKEN_CACHE_FILE;
  const config =
    env.XDG_CONFIG_HOME && path.isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : path.join(env.HOME || os.homedir(), '.config');
  return path.join(config, 'ogdc', 'tokens.json');
}

/**
 * Whether a JWT's `exp` is more than `marginSeconds` away, read without verifying (the service
 * verifies); a token that is not a JWT with `exp` counts as expired, as the Python CLI counts it.
 */
export function isUnexpired(token: string | undefined, marginSeconds = 60, nowMs = Date.now()): boolean {
  if (!token) return false;
  try {
    const { exp } = decodeJwt(token);
    return typeof exp === 'number' && exp * 1000 > nowMs + marginSeconds * 1000;
  } catch {
    return false;
  }
}

/** The stored tokens; an absent or mangled file reads as none. */
export async function readTokens(file: string): Promise<StoredTokens> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return {};
  }
  try {
    const data = JSON.parse(text) as unknown;
    if (!data || typeof data !== 'object') return {};
    const { access_token: access, refresh_token: refresh } = data as Record<string, unknown>;
    return {
      ...(typeof access === 'string' && access !== '' && { access_token: access }),
      ...(typeof refresh === 'string' && refresh !== '' && { refresh_token: refresh }),
    };
  } catch {
    return {};
  }
}

/** Writes the tokens (mode 0600, its folder 0700 when created). */
export async function writeTokens(file: string, tokens: StoredTokens): Promise<void> {
  try {
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    await writeFile(file, `${JSON.stringify(tokens, null, 2)}\n`, { mode: 0o600 });
    // writeFile keeps the mode of a file that already existed.
    await chmod(file, 0o600);
  } catch (err) {
    throw new CliError(`Cannot write the token file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}.`);
  }
}

export async function deleteTokens(file: string): Promise<boolean> {
  try {
    await rm(file);
    return true;
  } catch {
    return false;
  }
}

/**
 * Reads what `set-token --json-str` is given: the service's `{"message", "token": {…}}` answer
 * or a bare `{"access_token", "refresh_token"}`.
 */
export function parseTokenJson(text: string): StoredTokens {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw new CliError(`The tokens are not valid JSON: ${(err as Error).message}.`);
  }
  if (!data || typeof data !== 'object' || Array.isArray(data)) throw new CliError('The tokens must be a JSON object.');
  let obj = data as Record<string, unknown>;
  if (obj.token && typeof obj.token === 'object' && !Array.isArray(obj.token)) obj = obj.token as Record<string, unknown>;
  if (!('access_token' in obj) && !('refresh_token' in obj)) {
    throw new CliError("The tokens must contain at least one of 'access_token' or 'refresh_token'.");
  }
  const out: StoredTokens = {};
  for (const key of ['access_token', 'refresh_token'] as const) {
    const value = obj[key];
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string' || value.trim() === '') throw new CliError(`'${key}' must be a non-empty string.`);
    out[key] = value;
  }
  return out;
}
