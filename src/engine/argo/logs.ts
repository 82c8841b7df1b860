import type http from 'node:http';
import { EngineUnavailableError } from '../errors.ts';
import type { LogLine } from '../types.ts';

interface StreamMessage {
  result?: { content?: string; podName?: string };
  error?: { message?: string; grpc_code?: number; http_code?: number };
}

/**
 * Reads Argo's streamed log answer: newline-delimited `{"result": {content, podName}}`
 * objects (gRPC-gateway streaming), or an `{"error": …}` object when the stream fails.
 * Stopping the iteration early closes the connection.
 */
export async function* parseLogStream(
  response: http.IncomingMessage,
  context: { serviceUrl: string; workflow: string; idleTimeoutMs?: number },
): AsyncGenerator<LogLine> {
  let pending = '';
  // A finished log answer that stalls is cut off; a followed one may be silent for as long as a step is.
  let idle: NodeJS.Timeout | undefined;
  const armIdle = () => {
    if (context.idleTimeoutMs === undefined) return;
    clearTimeout(idle);
    idle = setTimeout(() => response.destroy(new Error(`no log data within ${context.idleTimeoutMs} ms`)), context.idleTimeoutMs);
  };
  const parse = (line: string): LogLine | undefined => {
    if (!line.trim()) return undefined;
    let message: StreamMessage;
    try {
      message = JSON.parse(line) as StreamMessage;
    } catch (err) {
      throw new EngineUnavailableError(
        `Argo Server at ${context.serviceUrl} sent a log line of "${context.workflow}" that is not JSON: ${line.slice(0, 200)}`,
        { cause: err },
      );
    }
    if (message.error) {
      throw new EngineUnavailableError(
        `Argo Server at ${context.serviceUrl} broke off the logs of "${context.workflow}": ${message.error.message ?? JSON.stringify(message.error)}`,
      );
    }
    if (!message.result) return undefined;
    return { podName: message.result.podName ?? '', content: message.result.content ?? '' };
  };
  try {
    response.setEncoding('utf8');
    armIdle();
    for await (const chunk of response) {
      armIdle();
      pending += chunk as string;
      let newline: number;
      while ((newline = pending.indexOf('\n')) >= 0) {
        const line = parse(pending.slice(0, newline));
        pending = pending.slice(newline + 1);
        if (line) yield line;
      }
    }
    const last = parse(pending);
    if (last) yield last;
  } catch (err) {
    if (err instanceof EngineUnavailableError) throw err;
    throw new EngineUnavailableError(
      `Argo Server at ${context.serviceUrl} broke off the logs of "${context.workflow}": ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  } finally {
    clearTimeout(idle);
    response.destroy();
  }
}
