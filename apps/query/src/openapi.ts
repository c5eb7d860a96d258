import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';

const RATE_LIMIT_HEADERS = {
  'X-RateLimit-Limit': { description: 'Requests allowed per window for this API key and endpoint group', schema: { type: 'integer' } },
  'X-RateLimit-Remaining': { description: 'Requests left in the current window', schema: { type: 'integer' } },
  'X-RateLimit-Reset': { description: 'Unix time (seconds) when the oldest counted request leaves the window', schema: { type: 'integer' } },
};

/**
 * Every answer of a rate-limited route (the ones documenting a 429) carries the limit headers,
 * errors included; decorators can only attach headers one response at a time, so they are added
 * to the generated document here.
 */
function withRateLimitHeaders(document: OpenAPIObject): OpenAPIObject {
  for (const item of Object.values(document.paths)) {
    for (const operation of Object.values(item)) {
      const responses = (operation as { responses?: Record<string, { headers?: Record<string, unknown> }> }).responses;
      if (!responses?.['429']) continue;
      // Not on a 401: the key is checked before the limit, so there is nothing to count against.
      for (const [status, response] of Object.entries(responses)) {
        if (status !== '401') response.headers = { ...RATE_LIMIT_HEADERS, ...response.headers };
      }
    }
  }
  return document;
}

/** OpenAPI 3 generated from the controllers and DTOs: JSON at /openapi.json, Swagger UI at /docs. */
export function setUpOpenApi(app: NestFastifyApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Voucher analytics API')
    .setDescription(
      'Voucher performance, trends and customer insights. Amounts are integer minor units of `currency`; ' +
        'every error is `{ "error": { code, message, details? } }`. Rate limits per API key and endpoint group ' +
        'over a sliding window (60 s unless configured); every response of a limited route carries ' +
        'X-RateLimit-Limit/Remaining/Reset, and a 429 adds Retry-After.',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'sk_test_… (test data) or sk_live_… (live data)' })
    .build();
  const document = withRateLimitHeaders(SwaggerModule.createDocument(app, config));
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'openapi.json', yamlDocumentUrl: 'openapi.yaml' });
}
