import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config/index.ts';
import { startService, type RunningService, type StartOptions } from '../../src/service/start.ts';
import type { DbTarget } from './db.ts';

export const TEST_ADMIN_PASSWORD = 'admin-test-password';
export const TEST_JWT_SECRET = 'test-secret-key-for-jwt-signing-0123456789';

export interface TestService extends RunningService {
  config: Config;
  dataDir: string;
  /** Logs in and returns a bearer token. */
  token(username: string, password: string): Promise<string>;
  adminToken(): Promise<string>;
  /** Creates a user through the API (as admin) and returns a token for it. */
  userToken(username: string, password?: string): Promise<string>;
  stop(): Promise<void>;
}

/** Starts the real service on a fresh database of the target, with its own data dir. */
export async function startTestService(
  target: DbTarget,
  env: Record<string, string> = {},
  options: StartOptions & { dataDir?: string; dbConfig?: Config['db'] } = {},
): Promise<TestService> {
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'ogdc-test-')));
  const config = loadConfig({
    OGDC_DATA_DIR: dataDir,
    OGDC_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
    OGDC_JWT_SECRET_KEY: TEST_JWT_SECRET,
    OGDC_TOKEN_RATE_LIMIT_PER_CLIENT: '100000',
    OGDC_TOKEN_RATE_LIMIT_PER_USERNAME: '100000',
    ...env,
  });
  config.db = options.dbConfig ?? (await target.freshConfig(path.join(dataDir, 'db')));
  const service = await startService(config, options);
  const token = async (username: string, password: string) => {
    const res = await service.app.inject({
      method: 'POST',
      url: `${config.apiRootPath === '/' ? '' : config.apiRootPath}/token`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ username, password }).toString(),
    });
    if (res.statusCode !== 200) throw new Error(`login as ${username} failed: ${res.statusCode} ${res.body}`);
    return (res.json() as { access_token: string }).access_token;
  };
  return {
    ...service,
    config,
    dataDir,
    token,
    adminToken: () => token('admin', TEST_ADMIN_PASSWORD),
    async userToken(username, password = `${username}-password`) {
      const admin = await token('admin', TEST_ADMIN_PASSWORD);
      const res = await service.app.inject({
        method: 'POST',
        url: '/create_user',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${admin}` },
        payload: new URLSearchParams({ username, password }).toString(),
      });
      if (res.statusCode !== 200) throw new Error(`create ${username} failed: ${res.statusCode} ${res.body}`);
      return token(username, password);
    },
    async stop() {
      await service.close();
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** An `application/x-www-form-urlencoded` request body and header. */
export function form(fields: Record<string, string>, token?: string) {
  return {
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    payload: new URLSearchParams(fields).toString(),
  };
}

/**
 * A caller of a service's routes as one token: `call(method, url, token, payload?, type?)` answers the status and
 * the parsed JSON body (payload: an object sent as JSON, or text sent with `type`).
 */
export function jsonCaller(svc: () => TestService) {
  return async (method: string, url: string, token: string, payload?: unknown, type = 'application/json') => {
    const res = await svc().app.inject({
      method: method as 'GET',
      url,
      headers: { authorization: `Bearer ${token}`, ...(payload !== undefined && { 'content-type': type }) },
      ...(payload !== undefined && { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) }),
    });
    return { status: res.statusCode, body: res.body ? (JSON.parse(res.body) as Record<string, any>) : {} };
  };
}
