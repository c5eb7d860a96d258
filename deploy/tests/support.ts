import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { ConfigError, configSchema, CONFIG_VARIABLES, loadConfig } from '@app/config';

/** Shared readers and rules for the deployment-file tests (deploy/tests/*.spec.ts). */
export const ROOT = join(__dirname, '../..');
export const APPS = ['ingest', 'query', 'export-worker'] as const;
export type AppName = (typeof APPS)[number];

export function readText(relative: string): string {
  return readFileSync(join(ROOT, relative), 'utf8');
}

/** Every YAML document of a file (or string), with YAML merge keys (`<<: *anchor`) resolved. */
export function parseYamlDocuments(source: string): unknown[] {
  return parseAllDocuments(source, { merge: true })
    .map((doc) => {
      if (doc.errors.length) throw new Error(doc.errors.map((e) => e.message).join('\n'));
      return doc.toJS({ maxAliasCount: 1000 });
    })
    .filter((doc) => doc !== null && doc !== undefined);
}

export function readYaml<T = unknown>(relative: string): T {
  const [doc] = parseYamlDocuments(readText(relative));
  return doc as T;
}

// ---------------------------------------------------------------------------------------------
// The config schema as the deployment files must honour it. Derived from libs/config at run time,
// so a variable another engineer adds is checked without touching these tests.

export interface VariableFacts {
  name: string;
  hasDefault: boolean;
  defaultValue: unknown;
  /** Why a deployment must set it explicitly, or null when the default is safe in a container. */
  mustSetBecause: string | null;
  /** Secret-like: in Kubernetes it must come from a Secret, never the ConfigMap. */
  secret: boolean;
  /** Fault injection for tests: never set by a deployment. */
  testOnly: boolean;
}

const SECRET_NAME = /(SECRET|PASSWORD|TOKEN|_KEY|_KEYS)$/;
const LOCAL_ADDRESS = /\b(127\.0\.0\.1|localhost|0\.0\.0\.0)\b|\[::1\]/;

export function variableFacts(): VariableFacts[] {
  const shape = configSchema.shape as Record<string, { safeParse(v: unknown): { success: boolean; data?: unknown } }>;
  return CONFIG_VARIABLES.map((name) => {
    const parsed = shape[name].safeParse(undefined);
    const hasDefault = parsed.success;
    const defaultValue = parsed.data;
    const secret = SECRET_NAME.test(name);
    const text = JSON.stringify(defaultValue) ?? '';
    let mustSetBecause: string | null = null;
    if (!hasDefault) mustSetBecause = 'it has no default';
    else if (secret) mustSetBecause = 'it is a secret and its default is for development only';
    else if (LOCAL_ADDRESS.test(text)) mustSetBecause = `its default (${text}) points at the developer's machine`;
    else if (typeof defaultValue === 'string' && defaultValue !== '' && !defaultValue.startsWith('/') && /_(DIR|PATH)$/.test(name))
      mustSetBecause = `its default (${text}) is a path relative to the working directory (read-only in the image)`;
    return { name, hasDefault, defaultValue, mustSetBecause, secret, testOnly: /_FAULT_/.test(name) };
  });
}

export const KNOWN_VARIABLES = new Set(CONFIG_VARIABLES);

/** The schema's default for a variable (as the apps see it), or undefined when absent/without one. */
export function schemaDefault(name: string): unknown {
  return variableFacts().find((f) => f.name === name)?.defaultValue;
}

/**
 * Loads an app's environment as its entry point does (the real schema, then the production check
 * of the app's own signing secrets); returns the problems (empty when it would start).
 */
export function configProblems(env: Record<string, string>, app: AppName): string[] {
  try {
    loadConfig(env, app);
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.message.split('\n').slice(1).map((line) => line.trim());
  }
}

// ---------------------------------------------------------------------------------------------
// Routes the apps really serve, read from the controllers' decorators.

/** `GET` paths of an app: its own controllers plus the libs' controllers it imports (metrics). */
export function appRoutes(app: AppName): Set<string> {
  const files = [...walk(join(ROOT, 'apps', app, 'src')), ...walk(join(ROOT, 'libs'))].filter(
    (f) => f.endsWith('.controller.ts') && !f.endsWith('.spec.ts'),
  );
  const moduleSource = walk(join(ROOT, 'apps', app, 'src'))
    .filter((f) => f.endsWith('.module.ts'))
    .map((f) => readFileSync(f, 'utf8'))
    .join('\n');
  const routes = new Set<string>();
  for (const file of files) {
    const source = readFileSync(file, 'utf8');
    const controller = /@Controller\(\s*(?:'([^']*)')?\s*\)[\s\S]*?export class (\w+)/.exec(source);
    if (!controller) continue;
    const [, base = '', className] = controller;
    // A lib controller counts only where the app's modules register it.
    if (file.includes('/libs/') && !moduleSource.includes(className)) continue;
    for (const get of source.matchAll(/@Get\(\s*(?:'([^']*)')?\s*\)/g)) {
      routes.add('/' + [base, get[1] ?? ''].filter(Boolean).join('/'));
    }
  }
  return routes;
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? walk(join(dir, entry.name)) : [join(dir, entry.name)],
  );
}

/**
 * Whether an app's code reads a variable: its name appears in the app's sources or in a lib the
 * app imports (transitively). libs/config is left out: it names every variable.
 */
export function appUsesVariable(app: AppName, name: string): boolean {
  const seen = new Set<string>();
  const sources: string[] = [];
  const visit = (dir: string) => {
    for (const file of walk(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.spec.ts'))) {
      const source = readFileSync(file, 'utf8');
      sources.push(source);
      for (const m of source.matchAll(/from '@app\/([\w-]+)'/g)) {
        if (m[1] === 'config' || seen.has(m[1])) continue;
        seen.add(m[1]);
        visit(join(ROOT, 'libs', m[1], 'src'));
      }
    }
  };
  visit(join(ROOT, 'apps', app, 'src'));
  const word = new RegExp(`\\b${name}\\b`);
  return sources.some((source) => word.test(source));
}

/** The HTTP port variable of each app, and its schema default. */
export const PORT_VARIABLE: Record<AppName, string> = {
  ingest: 'INGEST_HTTP_PORT',
  query: 'PORT',
  'export-worker': 'EXPORT_WORKER_HTTP_PORT',
};

/** `kubectl kustomize <dir>` (kustomize v5 built into kubectl): the real renderer, not a copy. */
export function kustomize(relativeDir: string): unknown[] {
  let out: string;
  try {
    out = execFileSync('kubectl', ['kustomize', join(ROOT, relativeDir)], { encoding: 'utf8', maxBuffer: 32 * 1024 * 1024, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new Error('kubectl not found: the Kubernetes tests render overlays with `kubectl kustomize` (kustomize v5 is built into kubectl ≥ 1.27)');
    throw new Error(`kubectl kustomize ${relativeDir} failed:\n${e.stderr ?? e.message}`);
  }
  return parseYamlDocuments(out);
}
