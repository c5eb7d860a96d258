import type { FastifyInstance } from 'fastify';
import { counter, histogram } from '@app/observability';

const requests = counter('query_http_requests_total', 'HTTP requests answered, per route pattern and status', ['method', 'route', 'status']);
const duration = histogram(
  'query_http_request_duration_seconds',
  'Time to answer an HTTP request, per route pattern',
  [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  ['method', 'route'],
);

/** Counts and times every response by route pattern (never the raw URL: ids would explode the label set). */
export function registerHttpMetrics(fastify: FastifyInstance): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = request.routeOptions?.url ?? 'unmatched';
    const labels = { method: request.method, route };
    requests.inc({ ...labels, status: String(reply.statusCode) });
    duration.observe(labels, reply.elapsedTime / 1000);
    done();
  });
}
