import http from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

const MESSAGES: Record<string, [number, string]> = {
  HPE_HEADER_OVERFLOW: [431, 'The request headers are too large.'],
  ERR_HTTP_REQUEST_TIMEOUT: [408, 'The request took too long to arrive.'],
};

/**
 * Answers requests Node's HTTP parser refuses before Fastify sees them (headers
 * too large, malformed request line, timeouts) in the service's `{"detail": …}`
 * shape, then closes the connection, since it may be out of sync.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, detail] = MESSAGES[err.code ?? ''] ?? [400, 'The request is malformed and cannot be read.'];
  const body = JSON.stringify({ detail });
  if (socket.writable) {
    socket.write(
      `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

/**
 * Answers Fastify's own routing-stage errors (a malformed percent-encoding, a
 * path parameter over `maxParamLength`) in the `{"detail": …}` shape; without
 * this, Fastify writes its own body that no error handler sees.
 */
export function frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const status = error.statusCode && error.statusCode >= 400 ? error.statusCode : 400;
  const detail = error.code === 'FST_ERR_MAX_PARAM_LENGTH' ? 'A path segment of the URL is too long.' : 'The URL is malformed.';
  if (status >= 500) reply.log.error({ err: error }, 'routing failed');
  void reply.status(status).send({ detail: status >= 500 ? 'Internal Server Error' : detail });
}
