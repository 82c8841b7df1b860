import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config/index.ts';
import { checkListenAddress } from '../../src/config/identity.ts';
import { ConfigError } from '../../src/config/errors.ts';

async function secretsFile(content: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'ogdc-oidc-'));
  const file = path.join(dir, 'client_secrets.json');
  await writeFile(file, content);
  return file;
}

const GOOD = {
  server_metadata_url: 'https://keycloak.example.org/realms/dataone/.well-known/openid-configuration',
  client_id: 'ogdc',
  client_secret: 's3cret',
  redirect_uris: ['https://ogdc.example.org/api/authorize'],
};

describe('identity configuration', () => {
  it('defaults to authenticated, no OIDC, admin scope ogdc:admin', () => {
    const config = loadConfig({ HOME: '/home/u' });
    assert.equal(config.accessMode, 'authenticated');
    assert.equal(config.oidc, undefined);
    assert.equal(config.adminScope, 'ogdc:admin');
    assert.equal(config.allowOpenNetwork, false);
  });

  it('reads ACCESS_MODE and OGDC_SCOPE_ADMIN', () => {
    const config = loadConfig({ HOME: '/home/u', ACCESS_MODE: 'read_only', OGDC_SCOPE_ADMIN: 'ogdc:boss' });
    assert.equal(config.accessMode, 'read_only');
    assert.equal(config.adminScope, 'ogdc:boss');
  });

  it('reads OGDC_REFRESH_TOKEN_LIFETIME_SECONDS (default 7 days) and refuses a bad one naming it', () => {
    assert.equal(loadConfig({ HOME: '/home/u' }).refreshTokenLifetimeSeconds, 604800);
    assert.equal(loadConfig({ HOME: '/home/u', OGDC_REFRESH_TOKEN_LIFETIME_SECONDS: '3600' }).refreshTokenLifetimeSeconds, 3600);
    for (const bad of ['10', '1.5', 'a week', '99999999999']) {
      assert.throws(
        () => loadConfig({ HOME: '/home/u', OGDC_REFRESH_TOKEN_LIFETIME_SECONDS: bad }),
        (err: unknown) => err instanceof ConfigError && err.variable === 'OGDC_REFRESH_TOKEN_LIFETIME_SECONDS' && err.message.includes(bad),
      );
    }
  });

  it('refuses an unknown ACCESS_MODE naming the variable', () => {
    assert.throws(
      () => loadConfig({ HOME: '/h', ACCESS_MODE: 'public' }),
      (err: unknown) =>
        err instanceof ConfigError && err.variable === 'ACCESS_MODE' && /one of authenticated, read_only, open/.test(err.message),
    );
  });

  it('allows open mode on loopback only, unless OGDC_ALLOW_OPEN_NETWORK=true', () => {
    const open = loadConfig({ HOME: '/h', ACCESS_MODE: 'open' });
    for (const host of ['127.0.0.1', '::1', 'localhost', '127.0.0.2']) checkListenAddress(open, host);
    for (const host of ['0.0.0.0', '::', '192.168.1.4']) {
      assert.throws(
        () => checkListenAddress(open, host),
        /ACCESS_MODE=open needs a loopback listen address .*OGDC_ALLOW_OPEN_NETWORK=true/,
      );
    }
    checkListenAddress(loadConfig({ HOME: '/h', ACCESS_MODE: 'open', OGDC_ALLOW_OPEN_NETWORK: 'true' }), '0.0.0.0');
    checkListenAddress(loadConfig({ HOME: '/h' }), '0.0.0.0');
  });

  it('parses ogdc-helm client secrets', async () => {
    const file = await secretsFile(JSON.stringify(GOOD));
    const config = loadConfig({ HOME: '/h', OIDC_CLIENT_SECRETS_FILE: file });
    assert.deepEqual(config.oidc, {
      serverMetadataUrl: GOOD.server_metadata_url,
      clientId: 'ogdc',
      clientSecret: 's3cret',
      redirectUris: GOOD.redirect_uris,
      file,
    });
  });

  it('stops with one line naming the bad key of the secrets file', async () => {
    const cases: Array<[string, RegExp]> = [
      ['{not json', /is not valid JSON/],
      ['[]', /must hold a JSON object/],
      [JSON.stringify({ ...GOOD, client_id: '' }), /"client_id" must be a non-empty string/],
      [JSON.stringify({ ...GOOD, client_secret: 7 }), /"client_secret" must be a non-empty string/],
      [JSON.stringify({ ...GOOD, server_metadata_url: 'ftp://x' }), /"server_metadata_url" must be an http\(s\) URL/],
      [JSON.stringify({ ...GOOD, redirect_uris: [] }), /"redirect_uris" must be a non-empty list/],
    ];
    for (const [content, message] of cases) {
      const file = await secretsFile(content);
      assert.throws(
        () => loadConfig({ HOME: '/h', OIDC_CLIENT_SECRETS_FILE: file }),
        (err: unknown) =>
          err instanceof ConfigError &&
          err.variable === 'OIDC_CLIENT_SECRETS_FILE' &&
          message.test(err.message) &&
          !err.message.includes('\n') &&
          !err.message.includes('s3cret'),
      );
    }
    assert.throws(() => loadConfig({ HOME: '/h', OIDC_CLIENT_SECRETS_FILE: '/nonexistent/x.json' }), /cannot be read \(ENOENT\)/);
  });
});
