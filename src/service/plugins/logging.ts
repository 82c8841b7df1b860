import type { FastifyInstance, FastifyRequest, FastifyServerOptions } from 'fastify';
import pino from 'pino';

/** Log lines wait at most this long in the buffer of `accessLogStream`. */
const LOG_FLUSH_INTERVAL_MS = 1000;

/**
 * Standard output for the service's JSON log, written in batches of at least 4 KiB
 * or every LOG_FLUSH_INTERVAL_MS: one write system call per access line cost a
 * cheap request a large share of its time (and woke the reader of the pipe as
 * often). Whatever is buffered is written when the process exits.
 */
export function accessLogStream(): { write(line: string): void; close(): void } {
  const destination = pino.destination({ dest: 1, sync: false, minLength: 4096 });
  const timer = setInterval(() => destination.flush(), LOG_FLUSH_INTERVAL_MS);
  timer.unref();
  return {
    write: (line) => destination.write(line),
    close() {
      clearInterval(timer);
      destination.flushSync();
    },
  };
}

// Query parameters that are credentials: the signature of a download link works
// like a password until the link expires.
const SECRET_PARAMS = ['signature', 'token', 'access_token', 'password', 'X-Amz-Signature', 'X-Amz-Credential'];

/** The URL with credential-like query values replaced by `[redacted]`. */
function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const params = new URLSearchParams(url.slice(q + 1));
  let changed = false;
  for (const name of SECRET_PARAMS) {
    if (params.has(name)) {
      params.set(name, '[redacted]');
      changed = true;
    }
  }
  return changed ? `${url.slice(0, q)}?${params.toString()}` : url;
}

/**
 * What a request contributes to a log line: method, URL without credentials and
 * the client address. Headers are left out on purpose: `authorization` carries tokens.
 */
function requestSerializer(req: FastifyRequest): Record<string, unknown> {
  return { method: req.method, url: redactUrl(req.url), remoteAddress: req.ip };
}

/** Adds the credential-free request serializer to a logger configuration given as options. */
export function withSafeLogging(options: FastifyServerOptions): FastifyServerOptions {
  const logger = options.logger === true ? {} : options.logger;
  if (!logger || typeof logger !== 'object') return options;
  const serializers = (logger as { serializers?: Record<string, unknown> }).serializers;
  return { ...options, logger: { ...logger, serializers: { req: requestSerializer, ...serializers } } };
}

/** Logs one line per answered request: method, URL without credentials, status and time taken. */
export function logResponses(app: FastifyInstance): void {
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      { req: request, res: { statusCode: reply.statusCode }, responseTime: Math.round(reply.elapsedTime * 100) / 100 },
      'request completed',
    );
  });
}
