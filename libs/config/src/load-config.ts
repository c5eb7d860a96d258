import { configSchema, type AppConfig } from './config.schema';

export class ConfigError extends Error {}

/** Parses the environment once; throws a ConfigError naming each bad variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message} (got ${JSON.stringify(env[String(i.path[0])])})`);
    throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`);
  }
  const config = parsed.data;
  if (config.NODE_ENV === 'production') {
    // The development defaults of the signing secrets are public (they are in this repository).
    const unsafe = (['DOWNLOAD_SIGNING_KEY', 'WEBHOOK_SIGNING_SECRET'] as const).filter(
      (name) => config[name] === configSchema.shape[name].parse(undefined),
    );
    if (unsafe.length) throw new ConfigError(`Invalid configuration:\n${unsafe.map((n) => `  ${n}: must be set in production`).join('\n')}`);
  }
  return config;
}

/** Names of every variable the apps read (used by docs and deployment-file checks). */
export const CONFIG_VARIABLES = Object.keys(configSchema.shape);
