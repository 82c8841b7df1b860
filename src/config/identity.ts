import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { ConfigError } from './errors.ts';

/**
 * Who may call the service: `authenticated` (every route but the public ones needs a user),
 * `read_only` (reading routes open, changes need a user), `open` (no sign-in: every request acts as `admin`).
 */
export type AccessMode = 'authenticated' | 'read_only' | 'open';

/** The OpenID Connect client, from ogdc-helm's client secrets file. */
export interface OidcConfig {
  /** Where the provider's discovery document is (`…/.well-known/openid-configuration`). */
  serverMetadataUrl: string;
  clientId: string;
  clientSecret: string;
  redirectUris: string[];
  /** Where the file was read from, for messages. */
  file: string;
}

export interface IdentityConfig {
  accessMode: AccessMode;
  /** `OGDC_ALLOW_OPEN_NETWORK=true`: open mode on a non-loopback address. */
  allowOpenNetwork: boolean;
  oidc: OidcConfig | undefined;
  /** The scope that makes an OIDC user an admin. */
  adminScope: string;
  /** How long a local account's refresh token stays usable (each use issues a new one). */
  refreshTokenLifetimeSeconds: number;
}

/** `OGDC_REFRESH_TOKEN_LIFETIME_SECONDS` when not set: 7 days. */
export const DEFAULT_REFRESH_TOKEN_LIFETIME_SECONDS = 7 * 24 * 3600;

type Env = Record<string, string | undefined>;

const ACCESS_MODES: readonly AccessMode[] = ['authenticated', 'read_only', 'open'];

function accessMode(env: Env): AccessMode {
  const raw = (env.ACCESS_MODE ?? '').trim();
  if (raw === '') return 'authenticated';
  if ((ACCESS_MODES as readonly string[]).includes(raw)) return raw as AccessMode;
  throw new ConfigError('ACCESS_MODE', `ACCESS_MODE must be one of ${ACCESS_MODES.join(', ')}, got "${raw}".`);
}

function stringKey(file: string, doc: Record<string, unknown>, key: string): string {
  const value = doc[key];
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ConfigError('OIDC_CLIENT_SECRETS_FILE', `OIDC_CLIENT_SECRETS_FILE ${file}: "${key}" must be a non-empty string.`);
  }
  return value;
}

function httpsOrLoopbackUrl(file: string, key: string, raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('OIDC_CLIENT_SECRETS_FILE', `OIDC_CLIENT_SECRETS_FILE ${file}: "${key}" must be an http(s) URL, got "${raw}".`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError('OIDC_CLIENT_SECRETS_FILE', `OIDC_CLIENT_SECRETS_FILE ${file}: "${key}" must be an http(s) URL, got "${raw}".`);
  }
  return raw;
}

/** Reads ogdc-helm's client secrets JSON: `server_metadata_url`, `client_id`, `client_secret`, `redirect_uris`. */
function parseOidcClientSecrets(file: string, text: string): OidcConfig {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ConfigError('OIDC_CLIENT_SECRETS_FILE', `OIDC_CLIENT_SECRETS_FILE ${file} is not valid JSON (${(err as Error).message}).`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ConfigError('OIDC_CLIENT_SECRETS_FILE', `OIDC_CLIENT_SECRETS_FILE ${file} must hold a JSON object.`);
  }
  const obj = doc as Record<string, unknown>;
  const redirect = obj.redirect_uris;
  const redirectUris = typeof redirect === 'string' ? [redirect] : redirect;
  if (!Array.isArray(redirectUris) || redirectUris.length === 0 || !redirectUris.every((u) => typeof u === 'string' && u !== '')) {
    throw new ConfigError(
      'OIDC_CLIENT_SECRETS_FILE',
      `OIDC_CLIENT_SECRETS_FILE ${file}: "redirect_uris" must be a non-empty list of URLs.`,
    );
  }
  return {
    serverMetadataUrl: httpsOrLoopbackUrl(file, 'server_metadata_url', stringKey(file, obj, 'server_metadata_url')),
    clientId: stringKey(file, obj, 'client_id'),
    clientSecret: stringKey(file, obj, 'client_secret'),
    redirectUris: (redirectUris as string[]).map((u) => httpsOrLoopbackUrl(file, 'redirect_uris', u)),
    file,
  };
}

function oidc(env: Env): OidcConfig | undefined {
  const file = env.OIDC_CLIENT_SECRETS_FILE;
  if (!file) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(
      'OIDC_CLIENT_SECRETS_FILE',
      `OIDC_CLIENT_SECRETS_FILE ${file} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`,
    );
  }
  return parseOidcClientSecrets(file, text);
}

function refreshLifetime(env: Env): number {
  const raw = (env.OGDC_REFRESH_TOKEN_LIFETIME_SECONDS ?? '').trim();
  if (raw === '') return DEFAULT_REFRESH_TOKEN_LIFETIME_SECONDS;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < 60 || value > 366 * 24 * 3600) {
    throw new ConfigError(
      'OGDC_REFRESH_TOKEN_LIFETIME_SECONDS',
      `OGDC_REFRESH_TOKEN_LIFETIME_SECONDS must be a whole number of seconds from 60 to 31622400, got "${raw}".`,
    );
  }
  return value;
}

/** The identity part of the configuration: access mode, OIDC client, admin scope. */
export function loadIdentityConfig(env: Env): IdentityConfig {
  const scope = (env.OGDC_SCOPE_ADMIN ?? '').trim();
  if (/\s/.test(scope)) throw new ConfigError('OGDC_SCOPE_ADMIN', `OGDC_SCOPE_ADMIN must be one scope without spaces, got "${scope}".`);
  return {
    accessMode: accessMode(env),
    allowOpenNetwork: env.OGDC_ALLOW_OPEN_NETWORK === 'true',
    oidc: oidc(env),
    adminScope: scope || 'ogdc:admin',
    refreshTokenLifetimeSeconds: refreshLifetime(env),
  };
}

function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  return h === '::1';
}

/**
 * Open mode serves everyone as `admin`: refused on an address other machines can reach
 * unless `OGDC_ALLOW_OPEN_NETWORK=true` says that is intended.
 */
export function checkListenAddress(identity: Pick<IdentityConfig, 'accessMode' | 'allowOpenNetwork'>, host: string): void {
  if (identity.accessMode !== 'open' || identity.allowOpenNetwork || isLoopback(host)) return;
  throw new ConfigError(
    'ACCESS_MODE',
    `ACCESS_MODE=open needs a loopback listen address (127.0.0.1, ::1, localhost), got "${host}"; set OGDC_ALLOW_OPEN_NETWORK=true to serve it to the network.`,
  );
}
