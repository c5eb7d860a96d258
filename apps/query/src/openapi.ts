import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';

/** OpenAPI 3 generated from the controllers and DTOs: JSON at /openapi.json, Swagger UI at /docs. */
export function setUpOpenApi(app: NestFastifyApplication): void {
  const config = new DocumentBuilder()
    .setTitle('Voucher analytics API')
    .setDescription(
      'Voucher performance, trends and customer insights. Amounts are integer minor units of `currency`; ' +
        'every error is `{ "error": { code, message, details? } }`. Rate limits per API key and endpoint group ' +
        'over a sliding 60 s window; every limited response carries X-RateLimit-Limit/Remaining/Reset.',
    )
    .setVersion('1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'sk_test_… (test data) or sk_live_… (live data)' })
    .build();
  const document = SwaggerModule.createDocument(app, config);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'openapi.json', yamlDocumentUrl: 'openapi.yaml' });
}
