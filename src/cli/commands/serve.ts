import type { Command } from 'commander';

interface ServeOptions {
  host: string;
  port: string;
}

/** Runs the service until SIGINT/SIGTERM; resolves when it has shut down. */
async function serve(options: ServeOptions): Promise<number> {
  const { loadConfig } = await import('../../config/index.ts');
  const { startService } = await import('../../service/start.ts');
  const { createEngine } = await import('../../engine/create.ts');
  const port = Number(options.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`--port must be a number from 0 to 65535, got "${options.port}".\n`);
    return 2;
  }
  const config = loadConfig();
  const { checkListenAddress } = await import('../../config/identity.ts');
  checkListenAddress(config, options.host);
  if (config.engine.kind === 'local' && config.engine.sandbox === 'none') {
    // Unsandboxed steps run with the service's rights: acceptable only for a service nobody else can reach.
    if (!['127.0.0.1', '::1', 'localhost'].includes(options.host)) {
      process.stderr.write(
        `OGDC_LOCAL_SANDBOX=none runs recipe steps unsandboxed; it is allowed only with a loopback --host (127.0.0.1, ::1, localhost), got "${options.host}".\n`,
      );
      return 2;
    }
    process.stderr.write(
      "WARNING: OGDC_LOCAL_SANDBOX=none: recipe steps run unsandboxed with the service's rights (they can read its data folder and secrets); use only for single-user development.\n",
    );
  }
  if (!process.env.OGDC_SCHEMA_CACHE_DIR) {
    // Argo's schema check, compiled once per user and kept (src/argo/schema.ts).
    const { userCacheDir } = await import('../../config/cache-dir.ts');
    (await import('../../argo/schema.ts')).useSchemaCache(userCacheDir());
  }
  const { accessLogStream } = await import('../../service/plugins/logging.ts');
  const logStream = accessLogStream();
  const service = await startService(config, {
    notice: (line) => process.stderr.write(`${line}\n`),
    createEngine: (cfg, db) => createEngine(cfg, db, (message) => process.stderr.write(`local engine: ${message}\n`)),
    fastify: { logger: { level: process.env.OGDC_LOG_LEVEL ?? 'info', stream: logStream } },
  });
  const address = await service.app.listen({ host: options.host, port });
  const root = config.apiRootPath === '/' ? '' : config.apiRootPath;
  process.stderr.write(
    `OGDC service listening on ${address}${root}/ (database: ${config.db.kind}, engine: ${config.engine.kind}, data: ${config.dataDir})\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      process.stderr.write(`${signal} received: finishing in-flight requests and shutting down\n`);
      resolve();
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  await service.close();
  logStream.close();
  return 0;
}

/** `ogdc-runner serve`. */
export function register(program: Command): void {
  program
    .command('serve')
    .description('Run the OGDC service API (embedded PostgreSQL and local engine unless configured otherwise)')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--port <port>', 'port to listen on', '8000')
    .action(async (options: ServeOptions) => {
      process.exitCode = await serve(options);
    });
}
