import type { AccessMode } from '../../config/index.ts';
import type { ServiceContext } from '../context.ts';

export type { AccessMode };

/**
 * What the page needs to offer the right way in, part of every GET /session answer (200 or
 * 401): `password` when the name-and-password form works (local accounts; always, since the
 * local `admin` exists), `oidc_login_url` when an OpenID provider is configured
 * (OIDC_CLIENT_SECRETS_FILE): the page links there with `?next=<the page's #fragment>`.
 */
export interface SignInInfo {
  password: boolean;
  oidc_login_url: string | null;
}

export function accessModeOf(ctx: ServiceContext): AccessMode {
  return ctx.config.accessMode;
}

export function signInInfo(ctx: ServiceContext): SignInInfo {
  const prefix = ctx.config.apiRootPath === '/' ? '' : ctx.config.apiRootPath;
  return { password: true, oidc_login_url: ctx.config.oidc ? `${prefix}/login` : null };
}
