import type { Agent, RequestInit as UndiciRequestInit } from 'undici';
import { ApiError, CliError } from './errors.ts';
import { isUnexpired, readTokens, tokenFilePath, writeTokens } from './token-file.ts';

type Env = Record<string, string | undefined>;

/** The service URL: OGDC_API_URL, else the v0.4 Python CLI's default for ENVIRONMENT. */
export function defaultApiUrl(env: Env = process.env): string {
  if (env.OGDC_API_URL) return env.OGDC_API_URL.replace(/\/+$/, '');
  if (env.ENVIRONMENT === 'local') return 'https://localhost:7443/api';
  if (env.ENVIRONMENT === 'dev') return 'https://ogdc.test.dataone.org/api';
  return 'https://ogdc.dataone.org/api';
}

interface TokenResponse {
  access_token: string;
  utc_expiration: string;
  refresh_token?: string;
}

/** A refresh token worth trying: a JWT whose `exp` is ahead, or an opaque one (its expiry is the provider's secret). */
function mayStillRefresh(token: string | undefined): boolean {
  if (!token) return false;
  return token.split('.').length !== 3 || isUnexpired(token, 0);
}

interface ApiClientOptions {
  baseUrl?: string;
  username?: string;
  password?: string;
  env?: Env;
  /** The token file; default tokenFilePath(env). */
  tokenFile?: string;
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  409: 'Conflict',
  413: 'Payload Too Large',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

/**
 * A client of the OGDC API. Its access token comes from, in order: the token file
 * (`set-token`, `login`) while its access token is valid; a refresh through POST /refresh with
 * the file's refresh token (the file is then updated); a password login with
 * OGDC_API_USERNAME / OGDC_API_PASSWORD. A 401 on a token from the file refreshes once and
 * retries. With none of these, requests go without a token (a service in ACCESS_MODE=open answers them).
 * The token is cached for the life of the process and renewed a minute before it expires.
 */
export class ApiClient {
  readonly baseUrl: string;
  readonly tokenFile: string;
  private readonly username: string | undefined;
  private readonly password: string | undefined;
  /** Self-signed certificates accepted (ENVIRONMENT=local): undici's Agent, made at the first request. */
  private readonly insecure: boolean;
  private dispatcher: Agent | undefined;
  private token: { access_token: string; expiresAtMs: number; fromFile: boolean } | undefined;

  constructor(options: ApiClientOptions = {}) {
    const env = options.env ?? process.env;
    this.baseUrl = (options.baseUrl ?? defaultApiUrl(env)).replace(/\/+$/, '');
    this.username = options.username ?? env.OGDC_API_USERNAME;
    // The published docs spell it OGDC_API_password: accept both.
    this.password = options.password ?? env.OGDC_API_PASSWORD ?? env.OGDC_API_password;
    this.tokenFile = options.tokenFile ?? tokenFilePath(env);
    // The local development deployment uses a self-signed certificate, as the reference assumes.
    this.insecure = env.ENVIRONMENT === 'local';
  }

  /** Sends a request, returning the raw response; connection failures become a CliError naming the URL. */
  async raw(path: string, init: UndiciRequestInit = {}): Promise<Response> {
    const url = `${this.baseUrl}${path}`;
    // undici is imported at the first request, not at start: commands that make none (run-workflow, render,
    // --help) load faster without it.
    const undici = await import('undici');
    if (this.insecure) this.dispatcher ??= new undici.Agent({ connect: { rejectUnauthorized: false } });
    try {
      return (await undici.fetch(url, { ...init, dispatcher: this.dispatcher })) as unknown as Response;
    } catch (err) {
      const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
      throw new CliError(`Cannot reach the OGDC API at ${this.baseUrl}: ${cause}. Check OGDC_API_URL.`);
    }
  }

  /** Throws ApiError for a non-2xx response. */
  async check(response: Response): Promise<Response> {
    if (response.ok) return response;
    let detail: unknown = 'No error details.';
    try {
      detail = ((await response.json()) as { detail?: unknown }).detail ?? detail;
    } catch {
      // Not JSON: keep the default.
    }
    throw new ApiError(response.status, response.statusText || STATUS_TEXT[response.status] || 'Error', detail);
  }

  /** Logs in with a name and password (POST /token); answers the v0.3 token response, refresh token included. */
  async passwordLogin(username: string, password: string): Promise<TokenResponse> {
    const response = await this.check(
      await this.raw('/token', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ username, password }).toString(),
      }),
    );
    const data = (await response.json()) as Partial<TokenResponse>;
    if (typeof data.access_token !== 'string' || typeof data.utc_expiration !== 'string') {
      throw new CliError('Failed to get a valid access token from the OGDC API.');
    }
    return { access_token: data.access_token, utc_expiration: data.utc_expiration, refresh_token: data.refresh_token };
  }

  /** Exchanges the file's refresh token for fresh tokens and stores them; undefined when the service refuses it. */
  private async refreshFromFile(refreshToken: string): Promise<string | undefined> {
    const response = await this.raw('/refresh', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh_token: refreshToken }),
    });
    if (response.status === 401 || response.status === 400 || response.status === 422) return undefined;
    const data = (await (await this.check(response)).json()) as { token?: { access_token?: unknown; refresh_token?: unknown } };
    const access = data.token?.access_token;
    if (typeof access !== 'string') throw new CliError('The OGDC API answered the refresh without an access token.');
    const refresh = typeof data.token?.refresh_token === 'string' ? data.token.refresh_token : refreshToken;
    await writeTokens(this.tokenFile, { access_token: access, refresh_token: refresh });
    return access;
  }

  private remember(accessToken: string, fromFile: boolean, utcExpiration?: string): string {
    let expiresAtMs = utcExpiration ? Date.parse(utcExpiration) : NaN;
    if (Number.isNaN(expiresAtMs)) {
      try {
        const payload = JSON.parse(Buffer.from(accessToken.split('.')[1] ?? '', 'base64url').toString('utf8')) as { exp?: unknown };
        expiresAtMs = typeof payload.exp === 'number' ? payload.exp * 1000 : Date.now() + 60_000;
      } catch {
        expiresAtMs = Date.now() + 60_000;
      }
    }
    this.token = { access_token: accessToken, expiresAtMs, fromFile };
    return accessToken;
  }

  /**
   * A valid access token (see the class comment), or undefined to send none (nothing configured). `afterRejection`: the service refused the file's access token.
   */
  async accessToken(afterRejection = false): Promise<string | undefined> {
    if (!afterRejection && this.token && this.token.expiresAtMs > Date.now() + 60_000) return this.token.access_token;
    this.token = undefined;
    const stored = await readTokens(this.tokenFile);
    if (!afterRejection && isUnexpired(stored.access_token)) return this.remember(stored.access_token!, true);
    if (mayStillRefresh(stored.refresh_token)) {
      const refreshed = await this.refreshFromFile(stored.refresh_token!);
      if (refreshed) return this.remember(refreshed, true);
    }
    if (this.username && this.password) {
      const data = await this.passwordLogin(this.username, this.password);
      return this.remember(data.access_token, false, data.utc_expiration);
    }
    if (stored.access_token || stored.refresh_token) {
      throw new CliError(`The session in ${this.tokenFile} has expired: run "ogdc-runner login" (or "set-token") again.`);
    }
    // Nothing configured: ask without a token (a service in ACCESS_MODE=open answers); a 401 then says what to set.
    return undefined;
  }

  /** An authenticated request; checks the status. */
  async request(path: string, init: UndiciRequestInit = {}): Promise<Response> {
    const send = (token: string | undefined) => {
      const headers = { ...(init.headers as Record<string, string> | undefined), ...(token && { authorization: `Bearer ${token}` }) };
      return this.raw(path, { ...init, headers });
    };
    const token = await this.accessToken();
    let response = await send(token);
    // A token from the file may have been revoked or rotated elsewhere: refresh once and retry.
    if (response.status === 401 && this.token?.fromFile) {
      const retried = await this.accessToken(true);
      response = await send(retried);
    }
    if (response.status === 401 && token === undefined) {
      throw new CliError('OGDC_API_USERNAME and OGDC_API_PASSWORD must be set, or run "ogdc-runner login" (or "set-token") first.');
    }
    return this.check(response);
  }

  /** An authenticated request answering JSON. */
  async json<T>(path: string, init: UndiciRequestInit = {}): Promise<T> {
    return (await (await this.request(path, init)).json()) as T;
  }
}
