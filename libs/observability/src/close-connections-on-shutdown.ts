import type { FastifyInstance } from 'fastify';

/**
 * During shutdown, answers still in flight go out with `Connection: close`. Fastify stops taking
 * new requests and closes idle keep-alive connections when it closes, but a connection busy with
 * a request at that moment stayed open after its answer until the keep-alive timeout (72 s), so
 * the process outlived Kubernetes' grace period and was killed. Closing each such connection once
 * its answer is sent lets the process exit as soon as the last request has been answered.
 */
export function closeConnectionsOnShutdown(fastify: FastifyInstance): void {
  let closing = false;
  fastify.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) void reply.header('connection', 'close');
    done(null, payload);
  });
}
