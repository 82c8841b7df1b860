// All API calls go to the service root, one level above the page (/ui/), so the page works
// under any API_ROOT_PATH. The session is the HttpOnly cookie; the CSRF token is held in memory only.

const apiBase = new URL('../', location.href);

export interface SignIn {
  password: boolean;
  oidc_login_url: string | null;
}

export interface Session {
  current_user: string;
  is_admin: boolean;
  csrf_token: string;
  access_mode: string;
  sign_in: SignIn;
  /** read_only mode, looking around without signing in: reads work, writes ask to sign in. */
  anonymous?: boolean;
}

export function anonymousSession(signIn: SignIn): Session {
  return { current_user: '', is_admin: false, csrf_token: '', access_mode: 'read_only', sign_in: signIn, anonymous: true };
}

export interface Run {
  recipe_workflow_name: string | null;
  recipe_id: string;
  recipe_name: string;
  recipe_path: string;
  submitter: string;
  output_type: string;
  overwrite: boolean;
  status: string | null;
  progress: string | null;
  message: string | null;
  submitted_at: string;
  started_at: string | null;
  finished_at: string | null;
}

interface Param {
  name: string;
  value: string | null;
}

export interface RunNode {
  id: string;
  name: string;
  display_name: string;
  type: string;
  template: string | null;
  phase: string;
  message: string | null;
  started_at: string | null;
  finished_at: string | null;
  exit_code: string | null;
  boundary_id: string | null;
  children: string[];
  inputs: Param[];
  outputs: Param[];
  result: string | null;
}

export interface RunDetail extends Run {
  output_available: boolean;
  /** pvc outputs: the claim and the recipe's folder on it. */
  output_location: { claim_name: string; path: string } | null;
  nodes: RunNode[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: unknown,
  ) {
    super(typeof detail === 'string' ? detail : JSON.stringify(detail));
  }
}

let csrfToken = '';
let onSignedOut: () => void = () => {};

export function setCsrfToken(token: string): void {
  csrfToken = token;
}

/** Called when a request finds the session gone, so the page can ask to sign in again. */
export function whenSignedOut(handler: () => void): void {
  onSignedOut = handler;
}

export function url(path: string): string {
  return new URL(path.replace(/^\//, ''), apiBase).toString();
}

export async function request(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  if (init.method && init.method !== 'GET') headers.set('X-CSRF-Token', csrfToken);
  const res = await fetch(url(path), { ...init, headers, credentials: 'same-origin' });
  if (res.status === 401 && path !== 'session') onSignedOut();
  if (!res.ok) {
    let detail: unknown = res.statusText;
    try {
      detail = ((await res.json()) as { detail?: unknown }).detail ?? detail;
    } catch {
      // Not JSON: the status text says enough.
    }
    throw new ApiError(res.status, detail);
  }
  return res;
}

export async function json<T>(path: string, init: RequestInit = {}): Promise<T> {
  const res = await request(path, init);
  return (res.status === 204 ? undefined : await res.json()) as T;
}

export function postJson<T>(path: string, body: unknown, method = 'POST'): Promise<T> {
  return json<T>(path, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
}

/** GET /session without treating "not signed in" as an error. */
export async function currentSession(): Promise<{ session?: Session; signIn: SignIn; accessMode: string }> {
  const res = await fetch(url('session'), { credentials: 'same-origin' });
  const body = (await res.json()) as Session & { sign_in: SignIn; access_mode?: string };
  if (res.ok) return { session: body, signIn: body.sign_in, accessMode: body.access_mode };
  return { signIn: body.sign_in, accessMode: body.access_mode ?? 'authenticated' };
}

/** A message for a failed call: the API's detail, a validation list flattened to lines. */
export function problemText(err: unknown): string {
  if (err instanceof ApiError) {
    if (Array.isArray(err.detail))
      return err.detail.map((d: { loc?: unknown[]; msg?: string }) => `${(d.loc ?? []).join('.')}: ${d.msg ?? ''}`).join('\n');
    return typeof err.detail === 'string' ? err.detail : JSON.stringify(err.detail);
  }
  return err instanceof Error ? err.message : String(err);
}
