import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { ServiceContext } from '../../context.ts';
import type { LogLine } from '../../../engine/types.ts';
import { visibleRun } from '../../runs/visible.ts';
import { requireEngine } from '../../runs/engine.ts';
import { bearerSecurity, detailSchema, workflowNameParams } from '../schemas.ts';

const logsQuery = Type.Object({
  node: Type.Optional(Type.String({ maxLength: 300, description: "A node's id or pod name" })),
  follow: Type.Optional(Type.Boolean({ default: false, description: 'Keep streaming until the run ends' })),
  // Local engine: per node log, start at this byte, or show only its last tail_bytes ("load earlier" pages).
  offset: Type.Optional(Type.Integer({ minimum: 0, description: "Local engine: start at this byte of the node's log" })),
  tail_bytes: Type.Optional(Type.Integer({ minimum: 1, description: "Local engine: only the last this many bytes of the node's log" })),
});

async function* asText(lines: AsyncIterable<LogLine>): AsyncIterable<string> {
  for await (const line of lines) yield `${line.podName}: ${line.content}\n`;
}

/**
 * GET /runs/{name}/logs[?node=…&follow=true&offset=N|tail_bytes=N]: the run's logs as text, `pod: line`
 * per line, streamed (the engine reads logs in chunks, never whole).
 */
export async function runLogsRoute(app: FastifyInstance, ctx: ServiceContext): Promise<void> {
  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/runs/:workflow_name/logs',
    {
      schema: {
        summary: "Stream a run's logs (all nodes, or one node by id or pod name)",
        security: bearerSecurity,
        params: workflowNameParams,
        querystring: logsQuery,
        response: {
          200: { description: 'One `pod: line` per log line, streamed.', content: { 'text/plain': { schema: Type.String() } } },
          404: detailSchema,
          503: detailSchema,
        },
      },
    },
    async (request, reply) => {
      const run = await visibleRun(ctx, request.user, request.params.workflow_name);
      if (!run.workflowName) return reply.type('text/plain; charset=utf-8').send('');
      const lines = requireEngine(ctx).logs(run.workflowName, {
        node: request.query.node,
        follow: request.query.follow,
        offset: request.query.offset,
        tailBytes: request.query.tail_bytes,
      });
      // Pull the first line before answering, so engine errors still become a proper status.
      const iterator = asText(lines)[Symbol.asyncIterator]();
      const first = await iterator.next();
      const rest = { [Symbol.asyncIterator]: () => iterator };
      async function* all() {
        if (!first.done) yield first.value;
        yield* rest;
      }
      // A stream is sent as it is; the 200 schema documents it.
      return reply.type('text/plain; charset=utf-8').send(Readable.from(all()) as never);
    },
  );
}
