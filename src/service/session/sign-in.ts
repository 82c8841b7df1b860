import type { ServiceContext } from '../context.ts';

export type AccessMode = 'authenticated' | 'read_only' | 'open';

/** What the page needs to offer the right way in. */
export interface SignInInfo {
  password: boolean;
  oidc_login_url: string | null;
}

// The identity work adds accessMode and oidc to the config; until then a service is password-only and authenticated.
interface IdentityConfig {
  accessMode?: AccessMode;
  oidc?: unknown;
}

export function accessModeOf(ctx: ServiceContext): AccessMode {
  return (ctx.config as IdentityConfig).accessMode ?? 'authenticated';
}

export function signInInfo(ctx: ServiceContext): SignInInfo {
  const prefix = ctx.config.apiRootPath === '/' ? '' : ctx.config.apiRootPath;
  return { password: true, oidc_login_url: (ctx.config as IdentityConfig).oidc ? `${prefix}/login` : null };
}
