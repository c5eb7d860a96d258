export { ObservabilityLoggerModule } from './logger.module';
export { metricsRegistry, counter, gauge, histogram } from './metrics';
export { MetricsController } from './metrics.controller';
export { closeConnectionsOnShutdown } from './close-connections-on-shutdown';
