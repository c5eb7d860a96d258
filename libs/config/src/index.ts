export { configSchema, type AppConfig, type ConfigInput } from './config.schema';
export { loadConfig, ConfigError, CONFIG_VARIABLES, APP_SIGNING_SECRETS, type AppName, type SigningSecret } from './load-config';
export { AppConfigModule, APP_CONFIG } from './config.module';
