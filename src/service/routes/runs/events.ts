import { PassThrough } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { Type } from '@sinclair/typebox';
import type { ServiceContext } from '../../context.ts';
import type { RunChange } from '../../runs/changes.ts';
import { bearerSecurity } from '../schemas.ts';

const HEARTBEAT_MS = 15_000;
const RETRY_MS = 3_000;
// A client that stops reading is dropped rather than buffered for without limit; it reconnects and refetches.
const MAX_BUFFERED_BYTES = 256 * 1024;

function changeView(change: RunChange) {
  return {
    recipe_workflow_name: change.workflowName,
    status: change.phase,
    progress: change.progress,
    message: change.message,
    at: change.at,
  };
}

/**
 * GET /runs/events: a Server-Sent Events stream of run changes, the caller's own (admin:
 * everyone's). It starts with `retry:` and a `ready` event, so a page refetches its list on
 * every (re)connect and misses nothing; comments keep idle proxies from closing it.
 */
export async function runEventsRoute(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  app.get(
    '/runs/events',
    {
      schema: {
        summary: 'Live run changes (text/event-stream)',
        security: bearerSecurity,
        response: {
          200: {
            description:
              'Server-Sent Events: `ready` at each (re)connect, then one `run` event per change, its data ' +
              '`{"recipe_workflow_name", "status", "progress", "message", "at"}`.',
            content: { 'text/event-stream': { schema: Type.String() } },
          },
        },
      },
    },
    async (request, reply) => {
      const user = request.user;
      const stream = new PassThrough();
      const write = (text: string) => {
        if (stream.writableLength > MAX_BUFFERED_BYTES) stream.destroy();
        else stream.write(text);
      };
      const unsubscribe = ctx.runChanges.subscribe((change) => {
        if (user.isAdmin || change.userId === user.id) write(`event: run\ndata: ${JSON.stringify(changeView(change))}\n\n`);
      });
      const heartbeat = setInterval(() => write(': heartbeat\n\n'), HEARTBEAT_MS);
      heartbeat.unref();
      const stop = () => {
        clearInterval(heartbeat);
        unsubscribe();
        stream.end();
      };
      request.raw.once('close', stop);
      stream.once('close', stop);
      stream.write(`retry: ${RETRY_MS}\n\nevent: ready\ndata: {}\n\n`);
      return (
        reply
          .header('content-type', 'text/event-stream; charset=utf-8')
          .header('cache-control', 'no-cache, no-transform')
          // Tells nginx not to buffer the stream.
          .header('x-accel-buffering', 'no')
          .send(stream)
      );
    },
  );
}
