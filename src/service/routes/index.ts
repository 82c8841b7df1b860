import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../context.ts';
import { versionRoutes } from './version.ts';
import { tokenRoutes } from './token.ts';
import { refreshRoutes } from './refresh.ts';
import { oidcLoginRoutes } from './oidc-login.ts';
import { healthRoutes } from './health.ts';
import { downloadRoutes } from './download.ts';
import { currentUserRoutes } from './user.ts';
import { createUserRoutes } from './create-user.ts';
import { accountRoutes } from './account.ts';
import { usersAdminRoutes } from './users-admin.ts';
import { submitRoutes } from './submit.ts';
import { statusRoutes } from './status.ts';
import { outputRoutes } from './output.ts';
import { listRunsRoute } from './runs/list.ts';
import { runDetailRoute } from './runs/detail.ts';
import { runLogsRoute } from './runs/logs.ts';
import { cancelRunRoute } from './runs/cancel.ts';
import { runEventsRoute } from './runs/events.ts';
import { uiRoutes } from './ui.ts';
import { sessionRoutes } from '../session/routes.ts';
import { resumeRunRoute } from './runs/resume.ts';
import { suspendRunRoute } from './runs/suspend.ts';
import { metricsRoutes } from './metrics.ts';
import { cronWorkflowRoutes } from './cron-workflows.ts';
import { workflowTemplateRoutes } from './workflow-templates.ts';

type RoutePlugin = (app: FastifyInstance, ctx: ServiceContext) => Promise<void>;

/** Routes anyone may call. Adding a route here is a decision to make it public. */
export const publicRoutes: RoutePlugin[] = [
  versionRoutes,
  tokenRoutes,
  refreshRoutes,
  oidcLoginRoutes,
  healthRoutes,
  downloadRoutes,
  sessionRoutes,
  uiRoutes,
];

/** Every other route: a valid bearer token is required before any handler runs. */
export const authenticatedRoutes: RoutePlugin[] = [
  currentUserRoutes,
  createUserRoutes,
  accountRoutes,
  usersAdminRoutes,
  submitRoutes,
  statusRoutes,
  outputRoutes,
  listRunsRoute,
  runEventsRoute,
  runDetailRoute,
  runLogsRoute,
  cancelRunRoute,
  resumeRunRoute,
  suspendRunRoute,
  metricsRoutes,
  cronWorkflowRoutes,
  workflowTemplateRoutes,
];
