import type { Config } from '../config/index.ts';
import type { Db } from '../db/types.ts';
import type { Engine } from '../engine/types.ts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Auth } from './auth/service.ts';
import type { Oidc } from './auth/oidc.ts';
import type { User } from './users/repository.ts';
import type { RunChanges } from './runs/changes.ts';
import type { WorkflowDetails } from './runs/details.ts';
import type { StatusCache } from './runs/status-cache.ts';
import type { CronScheduler } from './cron/scheduler.ts';

/** What the routes need, built once at startup and handed to each route plugin. */
export interface ServiceContext {
  config: Config;
  db: Db;
  auth: Auth;
  engine: Engine | undefined;
  /** The JWT key; also signs output download links. */
  secretKey: string;
  version: string;
  /** Every run-row change, for live views. */
  runChanges: RunChanges;
  /** Workflows with their nodes, fetched on demand and kept per resource version. */
  workflowDetails: WorkflowDetails;
  /** `/status` answers: the runs table's phase, kept in memory until the run changes (at most a second). */
  statusCache: StatusCache;
  /** The CronWorkflow controller (local engine only; absent: the cron routes answer 501). */
  cron?: CronScheduler;
  /** The OpenID provider client, when OIDC_CLIENT_SECRETS_FILE is set. */
  oidc?: Oidc;
  /**
   * Starts the web page's session for `user` (sets its cookie on `reply`). GET /authorize calls it
   * when the sign-in began at `/login?next=/ui/…`, then redirects to that path; without it,
   * /authorize always answers the tokens as JSON. `provider`: the provider's access token, which
   * the cookie then holds (a provider user has no local account to sign a token for).
   */
  startBrowserSession?: (
    request: FastifyRequest,
    reply: FastifyReply,
    user: User,
    provider?: { accessToken: string; expiresIn?: number },
  ) => Promise<void>;
}
