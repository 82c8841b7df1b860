import type { AccessMode } from '../../config/index.ts';
import type { ServiceContext } from '../context.ts';
import { HttpError } from '../errors.ts';

/**
 * What the page needs to offer the right way in, part of every GET /session answer (200 or
 * 401): `password` when the name-and-password form works (local accounts; always, since the
 * local `admin` exists), `oidc_login_url` when an OpenID provider is configured
 * (OIDC_CLIENT_SECRETS_FILE): the page links there with `?next=<the page's #fragment>`.
 */
interface SignInInfo {
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

/** 401 of the session routes: why, with the access mode and the ways to sign in, so the page can offer them. */
export class SignedOutError extends HttpError {
  constructor(
    message: string,
    private readonly ctx: ServiceContext,
  ) {
    super(401, message);
  }

  override get body() {
    return { detail: this.detail, access_mode: accessModeOf(this.ctx), sign_in: signInInfo(this.ctx) };
  }
}
