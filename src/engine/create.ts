import type { Config } from '../config/index.ts';
import type { Db } from '../db/types.ts';
import type { Engine } from './types.ts';

/** The engine the configuration names: Argo when ARGO_WORKFLOWS_SERVICE_URL is set, else local. */
export async function createEngine(config: Config, db: Db, log: (message: string) => void = () => {}): Promise<Engine> {
  if (config.engine.kind === 'argo') {
    const { createArgoEngine } = await import('./argo/index.ts');
    return createArgoEngine({
      serviceUrl: config.engine.serviceUrl,
      namespace: config.argoNamespace,
      token: config.engine.token,
      insecureSkipVerify: config.engine.insecureSkipVerify,
      timeoutMs: config.engine.timeoutMs,
      watchResyncMs: config.engine.watchResyncMs,
      log,
      s3: config.s3,
    });
  }
  const { createLocalEngine } = await import('./local/index.ts');
  return createLocalEngine({
    db,
    dataDir: config.dataDir,
    maxProcesses: config.engine.maxProcesses,
    namespace: config.argoNamespace,
    // Fail closed: without a working bubblewrap the engine refuses to start, unless OGDC_LOCAL_SANDBOX=none.
    sandbox: config.engine.sandbox,
    limits: config.engine.limits,
    fetchHostNetwork: config.allowPrivateSources,
    allowPrivateHttp: config.allowPrivateSources,
    log,
  });
}

/**
 * `Engine.claimFolder` of the engine the configuration names, without starting it (recipe validation in the CLI):
 * the local engine's claims are folders of its data dir; Argo's are not on this machine.
 */
export async function claimFolderOf(config: Config): Promise<((claim: string) => string) | undefined> {
  if (config.engine.kind === 'argo') return undefined;
  const { claimFolderIn } = await import('./local/state/volumes.ts');
  return (claim) => claimFolderIn(config.dataDir, claim);
}
