import * as client from 'openid-client';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';
import type { OidcConfig } from '../../config/index.ts';

/**
 * The OpenID Connect side of identity: discovery, bearer-token verification by the issuer's JWKS
 * (jose), and the authorization-code flow and refresh through the provider (openid-client).
 * Discovery happens on first need and is retried on the next need after a failure, so a provider
 * that is down at startup does not stop the service: its routes answer 503 until it is back.
 */

/** Asymmetric signature algorithms only: never `none`, never an HMAC keyed by a public key. */
const PROVIDER_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];
/** Bound on every request to the provider (discovery, JWKS, token endpoint). */
const PROVIDER_TIMEOUT_MS = 5_000;
/** An unknown `kid` refetches the JWKS at most this often. */
const JWKS_COOLDOWN_MS = 60_000;
const MAX_TOKEN_LENGTH = 16_384;

/** The provider could not be reached or answered nonsense; the message names it. */
export class ProviderUnavailableError extends Error {
  constructor(
    readonly provider: string,
    reason: string,
    options?: { cause?: unknown },
  ) {
    super(`The OpenID provider at ${provider} is unavailable: ${reason}`, options);
    this.name = 'ProviderUnavailableError';
  }
}

/** A bearer token from (or claiming to be from) the provider that does not verify; the message says why. */
export class ProviderTokenError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'ProviderTokenError';
  }
}

/** The provider refused a code or refresh token (`invalid_grant` and the like). */
export class ProviderGrantError extends Error {
  constructor(
    readonly error: string,
    description: string | undefined,
  ) {
    super(description ? `${error}: ${description}` : error);
    this.name = 'ProviderGrantError';
  }
}

/** Who a verified provider token speaks for. */
export interface ProviderIdentity {
  issuer: string;
  subject: string;
  /** `preferred_username`, else `sub`. */
  username: string;
  scopes: string[];
  exp: number;
}

interface ProviderTokens {
  access_token: string;
  refresh_token: string | undefined;
  id_token: string | undefined;
  expires_in: number | undefined;
}

export interface Oidc {
  readonly clientId: string;
  readonly redirectUri: string;
  /** The discovered issuer (discovering it if need be). */
  issuer(): Promise<string>;
  /** Verifies an access token of the provider; throws ProviderTokenError or ProviderUnavailableError. */
  verify(token: string): Promise<ProviderIdentity>;
  /** The provider's authorization URL for a code flow with PKCE (S256) and state. */
  authorizationUrl(params: { state: string; codeChallenge: string; scope: string }): Promise<URL>;
  /** Exchanges the code in `callbackUrl` (the redirect URI with the provider's query). */
  exchangeCode(callbackUrl: URL, checks: { state: string; codeVerifier: string }): Promise<ProviderTokens>;
  refresh(refreshToken: string): Promise<ProviderTokens>;
  /** Asks the provider to revoke a refresh token, when it has a revocation endpoint. */
  revoke(refreshToken: string): Promise<void>;
}

function reasonOf(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (err as Error).message ?? String(err);
}

function tokensOf(response: client.TokenEndpointResponse): ProviderTokens {
  return {
    access_token: response.access_token,
    refresh_token: typeof response.refresh_token === 'string' ? response.refresh_token : undefined,
    id_token: typeof response.id_token === 'string' ? response.id_token : undefined,
    expires_in: typeof response.expires_in === 'number' ? response.expires_in : undefined,
  };
}

function scopesOf(payload: JWTPayload): string[] {
  if (typeof payload.scope === 'string') return payload.scope.split(/\s+/).filter(Boolean);
  if (Array.isArray(payload.scp)) return payload.scp.filter((s): s is string => typeof s === 'string');
  return [];
}

/** Messages for jose's failures, in words a user can act on. */
function tokenFailure(err: unknown): Error {
  if (err instanceof joseErrors.JWTExpired) return new ProviderTokenError('The token has expired.');
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf') return new ProviderTokenError('The token is not valid yet (nbf).');
    if (err.claim === 'iss') return new ProviderTokenError('The token was issued by another issuer.');
    return new ProviderTokenError(`The token's "${err.claim}" claim is invalid.`);
  }
  if (err instanceof joseErrors.JOSEAlgNotAllowed)
    return new ProviderTokenError('The token is signed with an algorithm that is not accepted.');
  if (err instanceof joseErrors.JWKSNoMatchingKey)
    return new ProviderTokenError("The token's signing key (kid) is not among the provider's keys.");
  if (err instanceof joseErrors.JWKSMultipleMatchingKeys) return new ProviderTokenError("The token's signing key is ambiguous.");
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return new ProviderTokenError("The token's signature does not verify.");
  if (err instanceof joseErrors.JWKSTimeout) return new ProviderUnavailableError('JWKS', 'its key set did not answer in time');
  if (err instanceof joseErrors.JWKSInvalid) return new ProviderUnavailableError('JWKS', 'its key set is not a valid JWKS');
  if (err instanceof joseErrors.JOSEError) return new ProviderTokenError('The token cannot be read as a signed JWT.');
  return new ProviderUnavailableError('JWKS', reasonOf(err), { cause: err });
}

type Discovered = { configuration: client.Configuration; jwks: ReturnType<typeof createRemoteJWKSet> };

/** The provider's configuration (discovery document) and its key set; ProviderUnavailableError when it cannot be read. */
async function discoverProvider(config: OidcConfig, metadataUrl: URL): Promise<Discovered> {
  try {
    const configuration = await client.discovery(
      metadataUrl,
      config.clientId,
      { client_secret: config.clientSecret, redirect_uris: config.redirectUris },
      client.ClientSecretPost(config.clientSecret),
      {
        timeout: PROVIDER_TIMEOUT_MS / 1000,
        // The server_metadata_url is taken as given: http is accepted for a provider on loopback or inside a cluster.
        ...(metadataUrl.protocol === 'http:' && { execute: [client.allowInsecureRequests] }),
      },
    );
    configuration.timeout = PROVIDER_TIMEOUT_MS / 1000;
    const jwksUri = configuration.serverMetadata().jwks_uri;
    if (!jwksUri) throw new Error('its discovery document names no jwks_uri');
    const jwks = createRemoteJWKSet(new URL(jwksUri), { timeoutDuration: PROVIDER_TIMEOUT_MS, cooldownDuration: JWKS_COOLDOWN_MS });
    return { configuration, jwks };
  } catch (err) {
    throw new ProviderUnavailableError(config.serverMetadataUrl, reasonOf(err), { cause: err });
  }
}

/** A provider's access token checked: signature, issuer, expiry, and that it is meant for this client. */
async function verifiedIdentity(config: OidcConfig, { configuration, jwks }: Discovered, token: string): Promise<ProviderIdentity> {
  const issuer = configuration.serverMetadata().issuer;
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, jwks, { algorithms: PROVIDER_ALGORITHMS, issuer, requiredClaims: ['exp', 'sub'] }));
  } catch (err) {
    throw tokenFailure(err);
  }
  const audiences = typeof payload.aud === 'string' ? [payload.aud] : Array.isArray(payload.aud) ? payload.aud : [];
  if (!audiences.includes(config.clientId) && payload.azp !== config.clientId) {
    throw new ProviderTokenError(`The token is for another audience (neither "aud" nor "azp" is ${config.clientId}).`);
  }
  const username =
    typeof payload.preferred_username === 'string' && payload.preferred_username !== '' ? payload.preferred_username : payload.sub!;
  return { issuer, subject: payload.sub!, username, scopes: scopesOf(payload), exp: payload.exp! };
}

/** A grant at the provider's token endpoint: its refusal as ProviderGrantError, anything else as ProviderUnavailableError. */
async function grantOn<T>(
  config: OidcConfig,
  configuration: client.Configuration,
  run: (c: client.Configuration) => Promise<T>,
): Promise<T> {
  try {
    return await run(configuration);
  } catch (err) {
    if (err instanceof client.ResponseBodyError) throw new ProviderGrantError(err.error, err.error_description);
    if (err instanceof client.AuthorizationResponseError) throw new ProviderGrantError(err.error, err.error_description);
    if (err instanceof client.ClientError && !(err as { cause?: unknown }).cause)
      throw new ProviderGrantError('invalid_response', err.message);
    throw new ProviderUnavailableError(config.serverMetadataUrl, reasonOf(err), { cause: err });
  }
}

/** The OpenID Connect client of the service for the given ogdc-helm client secrets. */
export function createOidc(config: OidcConfig): Oidc {
  const metadataUrl = new URL(config.serverMetadataUrl);
  const redirectUri = config.redirectUris[0]!;
  let discovering: Promise<Discovered> | undefined;
  const discover = () =>
    (discovering ??= discoverProvider(config, metadataUrl).catch((err: unknown) => {
      discovering = undefined;
      throw err;
    }));

  const grant = async <T>(run: (c: client.Configuration) => Promise<T>): Promise<T> =>
    grantOn(config, (await discover()).configuration, run);

  return {
    clientId: config.clientId,
    redirectUri,
    async issuer() {
      return (await discover()).configuration.serverMetadata().issuer;
    },
    async verify(token) {
      if (token.length > MAX_TOKEN_LENGTH) throw new ProviderTokenError('The token is too long.');
      return verifiedIdentity(config, await discover(), token);
    },
    async authorizationUrl({ state, codeChallenge, scope }) {
      const { configuration } = await discover();
      return client.buildAuthorizationUrl(configuration, {
        redirect_uri: redirectUri,
        scope,
        state,
        code_challenge: codeChallenge,
        code_challenge_method: 'S256',
      });
    },
    async exchangeCode(callbackUrl, checks) {
      return tokensOf(
        await grant((c) =>
          client.authorizationCodeGrant(c, callbackUrl, {
            pkceCodeVerifier: checks.codeVerifier,
            expectedState: checks.state,
            idTokenExpected: true,
          }),
        ),
      );
    },
    async refresh(refreshToken) {
      return tokensOf(await grant((c) => client.refreshTokenGrant(c, refreshToken)));
    },
    async revoke(refreshToken) {
      const { configuration } = await discover();
      if (!configuration.serverMetadata().revocation_endpoint) return;
      await grant((c) => client.tokenRevocation(c, refreshToken, { token_type_hint: 'refresh_token' }));
    },
  };
}
