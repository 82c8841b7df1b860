import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../context.ts';
import { versionRoutes } from './version.ts';
import { tokenRoutes } from './token.ts';
import { currentUserRoutes } from './user.ts';
import { createUserRoutes } from './create-user.ts';

type RoutePlugin = (app: FastifyInstance, ctx: ServiceContext) => Promise<void>;

/** Routes anyone may call. Adding a route here is a decision to make it public. */
export const publicRoutes: RoutePlugin[] = [versionRoutes, tokenRoutes];

/** Every other route: a valid bearer token is required before any handler runs. */
export const authenticatedRoutes: RoutePlugin[] = [currentUserRoutes, createUserRoutes];
