export { configSchema, type AppConfig, type ConfigInput } from './config.schema';
export { loadConfig, ConfigError, CONFIG_VARIABLES } from './load-config';
export { AppConfigModule, APP_CONFIG } from './config.module';
