import type { ServiceContext } from '../context.ts';
import type { Engine } from '../../engine/types.ts';
import { EngineUnavailableError } from '../../engine/errors.ts';

/** The configured engine; a service started without one answers 503 on routes that need it. */
export function requireEngine(ctx: ServiceContext): Engine {
  if (!ctx.engine) throw new EngineUnavailableError('no workflow engine is configured for this service');
  return ctx.engine;
}
