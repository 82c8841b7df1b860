import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { ServiceContext } from '../context.ts';
import { workflowMetricsRegistry } from '../../engine/metrics.ts';
import { requireAdmin } from '../plugins/authenticate.ts';
import { bearerSecurity, detailSchema } from './schemas.ts';

let processRegistry: Registry | undefined;

/** The service process's own metrics (CPU, memory, event loop), collected from the first scrape on, once per process. */
function processMetrics(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry, prefix: 'ogdc_' });
  }
  return processRegistry;
}

/**
 * GET /metrics: Prometheus' text format, for the admin only (labels of workflows' metrics are users' data): the
 * service process's metrics (`ogdc_…`) and the custom metrics of local-engine workflows (`argo_workflows_…`).
 */
export async function metricsRoutes(app: FastifyInstance, _ctx: ServiceContext): Promise<void> {
  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/metrics',
    {
      preHandler: requireAdmin,
      schema: {
        summary: "Prometheus metrics: the service's and local-engine workflows' custom metrics (admin only)",
        security: bearerSecurity,
        response: {
          200: { description: "Prometheus' text exposition format.", content: { 'text/plain': { schema: Type.String() } } },
          403: detailSchema,
        },
      },
    },
    async (_request, reply) => {
      const text = (await processMetrics().metrics()) + (await workflowMetricsRegistry.metrics());
      return reply.type(workflowMetricsRegistry.contentType).send(text);
    },
  );
}
