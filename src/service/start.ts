import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import type { Config } from '../config/index.ts';
import { openDatabase } from '../db/index.ts';
import type { Db } from '../db/types.ts';
import type { Engine } from '../engine/types.ts';
import { reconcileUnfinishedRuns } from './runs/refresh.ts';
import { startSession } from './session/cookie.ts';
import { buildApp } from './app.ts';
import { createAuth } from './auth/service.ts';
import { createOidc } from './auth/oidc.ts';
import { pruneRefreshTokens } from './auth/refresh-tokens.ts';
import { hashPassword } from './auth/passwords.ts';
import { persistentSecret } from './secrets.ts';
import { findUserByName, insertUser } from './users/repository.ts';
import { UserExistsError } from './users/errors.ts';
import type { ServiceContext } from './context.ts';
import { createSharedRunChanges } from './runs/shared-changes.ts';
import { createWorkflowDetails } from './runs/details.ts';
import { createStatusCache } from './runs/status-cache.ts';
import { followEngine, type Following } from './runs/follow.ts';
import { startLease, type Lease } from './lease.ts';
import { startCronScheduler } from './cron/scheduler.ts';
import { ADMIN_USERNAME } from './users/admin.ts';

/** Advisory lock keys ('ogdc' and the next): the replica that follows a shared engine (Argo), and the one replica of an in-process engine (local). */
const FOLLOWER_LEASE_KEY = 0x6f676463;
const LOCAL_ENGINE_LEASE_KEY = FOLLOWER_LEASE_KEY + 1;
/** The replica that runs CronWorkflows (local engine). */
const CRON_LEASE_KEY = FOLLOWER_LEASE_KEY + 2;

/** The package version, reported by /version. */
const VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Fills the JWT key and admin password from 0600 files of the data dir in embedded mode. */
export async function resolveSecrets(
  config: Config,
  notice: (line: string) => void = () => {},
): Promise<{ jwtSecretKey: string; adminPassword: string }> {
  const jwtSecretKey = config.jwtSecretKey ?? (await persistentSecret(config.dataDir, 'jwt-secret', 48)).value;
  let adminPassword = config.adminPassword;
  if (!adminPassword) {
    const secret = await persistentSecret(config.dataDir, 'admin-password', 18);
    adminPassword = secret.value;
    notice(`The admin password is in ${secret.path}`);
  }
  return { jwtSecretKey, adminPassword };
}

/** Creates the `admin` user with the given password unless it exists. */
async function ensureAdmin(db: Db, password: string): Promise<void> {
  if (await findUserByName(db, ADMIN_USERNAME)) return;
  try {
    await insertUser(db, { name: ADMIN_USERNAME, passwordHash: await hashPassword(password), isAdmin: true });
  } catch (err) {
    // Another instance created it at the same moment.
    if (!(err instanceof UserExistsError)) throw err;
  }
}

export interface RunningService {
  app: FastifyInstance;
  ctx: ServiceContext;
  /** Stops taking requests, finishes in-flight ones, stops the engine, closes the database. */
  close(): Promise<void>;
}

export interface StartOptions {
  fastify?: FastifyServerOptions;
  notice?: (line: string) => void;
  /** Use this database instead of opening the configured one (tests). */
  db?: Db;
  createEngine?: (config: Config, db: Db) => Promise<Engine | undefined>;
  /** How long `close()` lets in-flight requests finish before cutting their connections; default 10 s. */
  shutdownGraceMs?: number;
  /** The CronWorkflow controller's clock (tests). */
  now?: () => Date;
}

const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;

/** The engine's change stream, followed by this replica while it may (see startFollowing). */
interface EngineFollowing {
  /** Resolves once the first list of workflows has been applied (undefined while not following). */
  listed(): Promise<void> | undefined;
  stop(): Promise<void>;
}

/**
 * Keeps the runs table current from the engine's change stream; reads never ask the engine. An engine of this process
 * is followed at once, holds the local-engine lease (a second replica would not see its workflows) and runs the
 * CronWorkflows; a shared engine (Argo) is followed by one replica at a time, the holder of the follower lease.
 */
async function startFollowing(
  ctx: ServiceContext,
  app: FastifyInstance,
  engine: Engine,
  options: StartOptions,
  onLease: (lease: Lease) => void,
): Promise<EngineFollowing> {
  let following: Following | undefined;
  const follow = () => {
    following ??= followEngine(ctx, engine, (err, what) => app.log.warn({ err }, what));
  };
  const stop = async () => {
    const f = following;
    following = undefined;
    await f?.stop();
  };
  const result = { listed: () => following?.listed, stop };
  if (engine.shared) {
    // A replica that loses the lease stops following, another takes over.
    const lease = await startLease(ctx.db, {
      key: FOLLOWER_LEASE_KEY,
      onAcquire: () => {
        app.log.info('this replica now follows the Argo Server');
        follow();
      },
      onLose: () => void stop(),
      log: (m) => app.log.warn(m),
    });
    onLease(lease);
    return result;
  }
  follow();
  const lease = await startLease(ctx.db, { key: LOCAL_ENGINE_LEASE_KEY, retryMs: 60_000 });
  onLease(lease);
  if (!lease.held) {
    const line =
      'Another service replica with the local engine shares this database: the local engine runs in one replica only ' +
      '(its runs are invisible to the other); use the Argo engine for several replicas.';
    options.notice?.(line);
    app.log.warn(line);
  }
  // An injected clock (tests) drives passes through ctx.cron.tick() only: no timer, no lease.
  const leaseKey = options.now ? undefined : CRON_LEASE_KEY;
  const log = (m: string) => app.log.info(m);
  ctx.cron = await startCronScheduler({ db: ctx.db, engine, now: options.now, leaseKey, log, active: () => lease.held });
  return result;
}

function buildContext(config: Config, db: Db, engine: Engine | undefined, jwtSecretKey: string, runChanges: ServiceContext['runChanges']) {
  const oidc = config.oidc ? createOidc(config.oidc) : undefined;
  const auth = createAuth(db, jwtSecretKey, {
    oidc,
    adminScope: config.adminScope,
    refreshTokenLifetimeSeconds: config.refreshTokenLifetimeSeconds,
  });
  const ctx: ServiceContext = {
    config,
    db,
    auth,
    oidc,
    engine,
    secretKey: jwtSecretKey,
    version: VERSION,
    runChanges,
    workflowDetails: createWorkflowDetails(() => engine),
    statusCache: createStatusCache(db, runChanges),
  };
  // GET /authorize ends a sign-in begun by the web page with the page's session cookie.
  ctx.startBrowserSession = async (_request, reply, user, provider) => void (await startSession(reply, ctx, user, provider));
  return ctx;
}

/** Opens the database, ensures the admin, starts the engine and builds the app (not yet listening). */
export async function startService(config: Config, options: StartOptions = {}): Promise<RunningService> {
  const { jwtSecretKey, adminPassword } = await resolveSecrets(config, options.notice);
  const db = options.db ?? (await openDatabase(config.db));
  let engine: Engine | undefined;
  let runChanges: Awaited<ReturnType<typeof createSharedRunChanges>> | undefined;
  let lease: Lease | undefined;
  try {
    await ensureAdmin(db, adminPassword);
    await pruneRefreshTokens(db);
    engine = options.createEngine ? await options.createEngine(config, db) : undefined;
    let warn = (_message: string): void => {};
    runChanges = await createSharedRunChanges(db, (m) => warn(m));
    const ctx = buildContext(config, db, engine, jwtSecretKey, runChanges);
    const app = await buildApp(ctx, options.fastify);
    warn = (message) => app.log.warn(message);
    const following = engine ? await startFollowing(ctx, app, engine, options, (l) => (lease = l)) : undefined;
    await reconcileUnfinishedRuns(ctx).catch((err: unknown) => app.log.warn({ err }, 'could not reconcile unfinished runs'));
    // An engine of this process lists its workflows at once: runs a previous process left unfinished are brought up to
    // date before the first request. A shared engine's list comes whenever this replica holds the lease.
    if (engine && !engine.shared) await following?.listed();
    const parts = { app, ctx, engine, lease, following, runChanges, db };
    let closing: Promise<void> | undefined;
    return { app, ctx, close: () => (closing ??= closeService(parts, options.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS)) };
  } catch (err) {
    await engine?.close().catch(() => {});
    await lease?.close().catch(() => {});
    await runChanges?.close().catch(() => {});
    await db.close().catch(() => {});
    throw err;
  }
}

async function closeService(
  parts: {
    app: FastifyInstance;
    ctx: ServiceContext;
    engine: Engine | undefined;
    lease: Lease | undefined;
    following: EngineFollowing | undefined;
    runChanges: { close(): Promise<void> };
    db: Db;
  },
  graceMs: number,
): Promise<void> {
  const { app, ctx, engine, lease, following, runChanges, db } = parts;
  // In-flight requests get a grace period; then connections that would never end on
  // their own (followed log streams of running workflows) are cut so shutdown completes.
  const cut = setTimeout(() => app.server.closeAllConnections(), graceMs);
  try {
    await app.close();
  } finally {
    clearTimeout(cut);
  }
  // Stopping the engine ends its running workflows (Error); their runs are recorded before the database closes.
  await ctx.cron?.close();
  await engine?.close();
  await lease?.close();
  await following?.stop();
  await runChanges.close();
  await db.close();
}
