import { Registry } from 'prom-client';

/**
 * Where the local engine records workflows' custom metrics (`metrics.prometheus`) unless given another registry;
 * the service serves it on GET /metrics. On the Argo engine, Argo's controller exposes those metrics itself.
 */
export const workflowMetricsRegistry = new Registry();
