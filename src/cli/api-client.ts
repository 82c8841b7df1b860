import { Agent, fetch as undiciFetch, type RequestInit as UndiciRequestInit } from 'undici';
import { ApiError, CliError } from './errors.ts';

type Env = Record<string, string | undefined>;

/** The service URL: OGDC_API_URL, else the reference's default for ENVIRONMENT. */
export function defaultApiUrl(env: Env = process.env): string {
  if (env.OGDC_API_URL) return env.OGDC_API_URL.replace(/\/+$/, '');
  if (env.ENVIRONMENT === 'local') return 'https://localhost:7443/ogdc/api';
  if (env.ENVIRONMENT === 'dev') return 'https://api.test.dataone.org/ogdc/api';
  return 'https://api.dataone.org/ogdc/api';
}

interface TokenResponse {
  access_token: string;
  utc_expiration: string;
}

export interface ApiClientOptions {
  baseUrl?: string;
  username?: string;
  password?: string;
  env?: Env;
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 413: 'Payload Too Large',
  422: 'Unprocessable Entity', 429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable',
};

/**
 * A client of the OGDC API. The access token is cached for the life of the
 * process and renewed a minute before its `utc_expiration`.
 */
export class ApiClient {
  readonly baseUrl: string;
  private readonly username: string | undefined;
  private readonly password: string | undefined;
  private readonly dispatcher: Agent | undefined;
  private token: TokenResponse | undefined;

  constructor(options: ApiClientOptions = {}) {
    const env = options.env ?? process.env;
    this.baseUrl = (options.baseUrl ?? defaultApiUrl(env)).replace(/\/+$/, '');
    this.username = options.username ?? env.OGDC_API_USERNAME;
    // The published docs spell it OGDC_API_password: accept both.
    this.password = options.password ?? env.OGDC_API_PASSWORD ?? env.OGDC_API_password;
    // The local development deployment uses a self-signed certificate, as the reference assumes.
    this.dispatcher = env.ENVIRONMENT === 'local' ? new Agent({ connect: { rejectUnauthorized: false } }) : undefined;
  }

  /** Sends a request, returning the raw response; connection failures become a CliError naming the URL. */
  async raw(path: string, init: UndiciRequestInit = {}): Promise<Response> {
    const url = `${this.baseUrl}${path}`;
    try {
      return (await undiciFetch(url, { ...init, dispatcher: this.dispatcher })) as unknown as Response;
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

  /** A valid access token, logging in when none is cached or it expires within a minute. */
  async accessToken(): Promise<string> {
    if (this.token && Date.parse(this.token.utc_expiration) > Date.now() + 60_000) return this.token.access_token;
    if (!this.username || !this.password) {
      throw new CliError('OGDC_API_USERNAME and OGDC_API_PASSWORD must be set.');
    }
    const response = await this.check(
      await this.raw('/token', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ username: this.username, password: this.password }).toString(),
      }),
    );
    const data = (await response.json()) as Partial<TokenResponse>;
    if (typeof data.access_token !== 'string' || typeof data.utc_expiration !== 'string') {
      throw new CliError('Failed to get a valid access token from the OGDC API.');
    }
    this.token = { access_token: data.access_token, utc_expiration: data.utc_expiration };
    return data.access_token;
  }

  /** An authenticated request; checks the status. */
  async request(path: string, init: UndiciRequestInit = {}): Promise<Response> {
    const token = await this.accessToken();
    const headers = { ...(init.headers as Record<string, string> | undefined), authorization: `Bearer ${token}` };
    return this.check(await this.raw(path, { ...init, headers }));
  }

  /** An authenticated request answering JSON. */
  async json<T>(path: string, init: UndiciRequestInit = {}): Promise<T> {
    return (await (await this.request(path, init)).json()) as T;
  }
}
