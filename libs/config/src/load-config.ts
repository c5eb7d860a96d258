import { configSchema, type AppConfig } from './config.schema';

export class ConfigError extends Error {}

/** Secrets whose schema defaults are public (they are in this repository): fine for development only. */
export type SigningSecret = 'DOWNLOAD_SIGNING_KEY' | 'WEBHOOK_SIGNING_SECRET';

/**
 * The signing secrets each app really uses. In production an app refuses to start while one of
 * its own is still the public default; an app that never signs anything (ingest) needs none, so
 * a deployment does not have to hand it secrets it would never use.
 */
export const APP_SIGNING_SECRETS = {
  ingest: [],
  // query mints download links and shows each schedule its derived webhook secret
  query: ['DOWNLOAD_SIGNING_KEY', 'WEBHOOK_SIGNING_SECRET'],
  'export-worker': ['DOWNLOAD_SIGNING_KEY', 'WEBHOOK_SIGNING_SECRET'],
} as const satisfies Record<string, readonly SigningSecret[]>;

export type AppName = keyof typeof APP_SIGNING_SECRETS;

/** A bad value as the error shows it: never a secret, nor a URL's password. */
function shown(name: string, value: string | undefined): string {
  if (value === undefined) return 'nothing';
  if (/KEY|SECRET|PASSWORD/.test(name)) return `${value.length} characters, not shown`;
  return JSON.stringify(value.replace(/\/\/([^:/@]*):[^@/]*@/, '//$1:***@'));
}

/**
 * Parses the environment; throws a ConfigError naming each bad variable. An app's entry point
 * passes its name, which adds the production check of its signing secrets; modules that read the
 * configuration again later pass none.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, app?: AppName): AppConfig {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message} (got ${shown(String(i.path[0]), env[String(i.path[0])])})`);
    throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`);
  }
  const config = parsed.data;
  if (app && config.NODE_ENV === 'production') {
    const secrets: readonly SigningSecret[] = APP_SIGNING_SECRETS[app];
    const unsafe = secrets.filter((name) => config[name] === configSchema.shape[name].parse(undefined));
    if (unsafe.length) throw new ConfigError(`Invalid configuration:\n${unsafe.map((n) => `  ${n}: must be set in production`).join('\n')}`);
  }
  return config;
}

/** Names of every variable the apps read (used by docs and deployment-file checks). */
export const CONFIG_VARIABLES = Object.keys(configSchema.shape);
