import { APPS, type AppName, PORT_VARIABLE, appRoutes, appUsesVariable, configProblems, kustomize, KNOWN_VARIABLES, readYaml, schemaDefault, variableFacts } from './support';

// Every overlay is rendered by real kustomize (`kubectl kustomize`) and every object is validated
// against the Kubernetes / KEDA / Prometheus Operator schemas (kubernetes-models), then checked
// against the apps: routes the probes hit, the config schema, ports, labels and autoscaling.

/* eslint-disable @typescript-eslint/no-explicit-any -- rendered manifests are plain data */
type K8sObject = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; [k: string]: any };

interface Model {
  new (data: unknown): { validate(): void };
  apiVersion: string;
  kind: string;
}
const MODELS = new Map<string, Model>();
function register(exports: unknown, depth = 0): void {
  if (!exports || depth > 3) return;
  for (const value of Object.values(exports as Record<string, unknown>)) {
    const model = value as Model;
    if (typeof value === 'function' && model.apiVersion && model.kind) MODELS.set(`${model.apiVersion}/${model.kind}`, model);
    else if (value && typeof value === 'object') register(value, depth + 1);
  }
}
register(require('kubernetes-models'));
register(require('@kubernetes-models/keda'));
register(require('@kubernetes-models/prometheus-operator'));

const OVERLAYS = { dev: 'voucher-analytics-dev', prod: 'voucher-analytics' } as const;
const SECRET_TEMPLATE = readYaml<K8sObject>('deploy/k8s/base/secret.template.yaml');
const EXPORTS_PATH = '/var/lib/voucher-analytics/exports';

describe.each(Object.entries(OVERLAYS))('overlay %s', (overlay, namespace) => {
  const objects = kustomize(`deploy/k8s/overlays/${overlay}`) as K8sObject[];
  const all = (kind: string) => objects.filter((o) => o.kind === kind);
  const one = (kind: string, name: string) => {
    const found = objects.filter((o) => o.kind === kind && o.metadata.name === name);
    expect([kind, name, found.length]).toEqual([kind, name, 1]);
    return found[0];
  };
  const configMap = one('ConfigMap', 'voucher-analytics-config');
  const config: Record<string, string> = configMap.data;
  const deployment = (app: AppName) => one('Deployment', app);
  const container = (app: AppName) => deployment(app).spec.template.spec.containers[0];
  const podLabels = (app: AppName): Record<string, string> => deployment(app).spec.template.metadata.labels;
  const selects = (selector: { matchLabels?: Record<string, string> }, labels: Record<string, string>) =>
    Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  /** host and port of a URL or host:port list (first entry). */
  const endpoint = (value: string) => {
    const url = new URL(value.includes('://') ? value : `tcp://${value.split(',')[0]}`);
    return { host: url.hostname, port: Number(url.port) };
  };

  it('renders objects that all validate against their API schemas', () => {
    expect(objects.length).toBeGreaterThan(20);
    for (const object of objects) {
      const Model = MODELS.get(`${object.apiVersion}/${object.kind}`);
      expect([object.kind, object.metadata.name, Boolean(Model)]).toEqual([object.kind, object.metadata.name, true]);
      expect(() => new Model!(object).validate()).not.toThrow();
    }
  });

  it('puts everything in the overlay namespace, which enforces the restricted pod security standard', () => {
    for (const object of objects.filter((o) => o.kind !== 'Namespace')) expect([object.kind, object.metadata.namespace]).toEqual([object.kind, namespace]);
    expect(one('Namespace', namespace).metadata.labels).toMatchObject({ 'pod-security.kubernetes.io/enforce': 'restricted' });
  });

  it('has one Deployment per app and nothing else that runs pods', () => {
    expect(all('Deployment').map((d) => d.metadata.name).sort()).toEqual([...APPS].sort());
    for (const kind of ['StatefulSet', 'DaemonSet', 'Pod', 'Job', 'CronJob']) expect(all(kind)).toEqual([]);
  });

  describe.each(APPS.map((app) => [app]))('%s Deployment', (app) => {
    it('runs the app from a pinned image of the one Dockerfile', () => {
      const c = container(app);
      expect(c.args).toEqual([app]);
      expect(c.image).toMatch(/(^|\/)voucher-analytics:\d+\.\d+\.\d+$/);
      if (overlay === 'prod') expect(c.image).toMatch(/^[\w.-]+\.[a-z]+\//); // from a registry
    });

    it('probes routes the app serves, on the port it listens on', () => {
      const c = container(app);
      const routes = appRoutes(app);
      const port = c.ports.find((p: any) => p.name === 'http');
      expect(port.containerPort).toBe(Number(config[PORT_VARIABLE[app]] ?? schemaDefault(PORT_VARIABLE[app])));
      for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) {
        expect([probe, c[probe]?.httpGet?.port]).toEqual([probe, 'http']);
        expect([probe, routes.has(c[probe].httpGet.path)]).toEqual([probe, true]);
      }
      expect(c.readinessProbe.httpGet.path).toBe('/health/ready');
      expect(c.livenessProbe.httpGet.path).toBe('/health/live');
    });

    it('has requests and limits, non-root, read-only root filesystem with /tmp, no privileges', () => {
      const spec = deployment(app).spec.template.spec;
      const c = container(app);
      for (const bound of ['requests', 'limits']) for (const r of ['cpu', 'memory']) expect([bound, r, c.resources?.[bound]?.[r]]).toEqual([bound, r, expect.anything()]);
      expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: expect.any(Number) });
      expect(spec.securityContext.runAsUser).toBeGreaterThan(0);
      expect(c.securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
      const tmp = c.volumeMounts.find((m: any) => m.mountPath === '/tmp');
      expect(spec.volumes.find((v: any) => v.name === tmp?.name)?.emptyDir).toBeDefined();
      expect(spec.automountServiceAccountToken).toBe(false);
    });

    it('gives the app longer to stop than its drain time, and spreads replicas', () => {
      const spec = deployment(app).spec.template.spec;
      const drainVariable = `${app.toUpperCase().replace(/-/g, '_')}_SHUTDOWN_TIMEOUT_MS`;
      const drainMs = Number(config[drainVariable] ?? schemaDefault(drainVariable) ?? 0);
      expect(spec.terminationGracePeriodSeconds * 1000).toBeGreaterThanOrEqual(drainMs + 5_000);
      expect(spec.topologySpreadConstraints.map((t: any) => t.topologyKey)).toEqual(['topology.kubernetes.io/zone', 'kubernetes.io/hostname']);
      for (const t of spec.topologySpreadConstraints) expect(selects(t.labelSelector, podLabels(app))).toBe(true);
    });

    it('leaves the replica count to its autoscaler', () => {
      expect(deployment(app).spec.replicas).toBeUndefined();
      const owners = [...all('HorizontalPodAutoscaler'), ...all('ScaledObject')].filter((s) => s.spec.scaleTargetRef.name === app);
      expect(owners).toHaveLength(1);
    });

    it('sets only schema variables, every unsafe one, and secrets only from a Secret', () => {
      const c = container(app);
      expect(c.envFrom).toEqual([{ configMapRef: { name: 'voucher-analytics-config' } }]);
      const explicit: Record<string, any> = Object.fromEntries(c.env.map((e: any) => [e.name, e]));
      const names = [...Object.keys(config), ...Object.keys(explicit)];
      expect(names.filter((n) => !KNOWN_VARIABLES.has(n))).toEqual([]);
      const facts = variableFacts();
      // Secrets go only to the apps whose code reads them (least privilege); other unsafe
      // defaults are shared settings every app gets from the ConfigMap.
      const needed = facts.filter((f) => f.mustSetBecause && (!f.secret || appUsesVariable(app, f.name)));
      expect(needed.filter((f) => !names.includes(f.name)).map((f) => `${f.name}: ${f.mustSetBecause}`)).toEqual([]);
      expect(facts.filter((f) => f.testOnly && names.includes(f.name))).toEqual([]);
      for (const f of facts.filter((f) => f.secret)) {
        expect([f.name, f.name in config]).toEqual([f.name, false]);
        if (explicit[f.name]) expect(explicit[f.name].valueFrom.secretKeyRef.key).toBe(f.name);
      }
      // Each secretKeyRef names a key the Secret template documents.
      const templateKeys = Object.keys(SECRET_TEMPLATE.stringData);
      for (const e of Object.values(explicit)) if (e.valueFrom?.secretKeyRef) expect(templateKeys).toContain(e.valueFrom.secretKeyRef.key);
      // The whole environment parses under the real schema (secrets stood in by placeholders).
      const env: Record<string, string> = { ...config };
      for (const [name, e] of Object.entries(explicit)) env[name] = e.value ?? 'placeholder-secret-value-0123456789';
      expect(configProblems(env, app)).toEqual([]);
    });
  });

  it('has a Secret template with schema keys and no values', () => {
    expect(SECRET_TEMPLATE.kind).toBe('Secret');
    for (const [key, value] of Object.entries(SECRET_TEMPLATE.stringData)) {
      expect(KNOWN_VARIABLES.has(key)).toBe(true);
      expect(value).toBe('');
    }
    const referenced = APPS.flatMap((app) => container(app).env.filter((e: any) => e.valueFrom?.secretKeyRef).map((e: any) => e.valueFrom.secretKeyRef));
    const names = new Set(referenced.map((r: any) => r.name));
    expect(names.size).toBe(1);
    // dev generates the Secret (with a hash suffix kustomize wires in); prod expects it to exist.
    const rendered = all('Secret');
    if (overlay === 'dev') expect(rendered.map((s) => s.metadata.name)).toEqual([...names]);
    else expect([rendered, [...names]]).toEqual([[], [SECRET_TEMPLATE.metadata.name]]);
  });

  it('exposes every app through a Service on its named port, and query through the Ingress', () => {
    for (const app of APPS) {
      const service = one('Service', app);
      expect(selects({ matchLabels: service.spec.selector }, podLabels(app))).toBe(true);
      expect(service.spec.ports).toEqual([expect.objectContaining({ name: 'http', targetPort: 'http' })]);
    }
    const ingress = one('Ingress', 'query');
    const backends = ingress.spec.rules.flatMap((r: any) => r.http.paths.map((p: any) => p.backend.service));
    expect(backends.length).toBeGreaterThan(0);
    for (const backend of backends) expect(backend).toEqual({ name: 'query', port: { name: 'http' } });
    expect(ingress.spec.rules.every((r: any) => r.host)).toBe(true);
    if (overlay === 'prod') expect(ingress.spec.tls?.[0]?.hosts).toEqual(ingress.spec.rules.map((r: any) => r.host));
  });

  it('scales query on CPU', () => {
    const hpa = one('HorizontalPodAutoscaler', 'query');
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'query' });
    expect(hpa.spec.metrics).toEqual([{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: expect.any(Number) } } }]);
    expect(hpa.spec.minReplicas).toBeLessThanOrEqual(hpa.spec.maxReplicas);
  });

  it('scales ingest on the consumer group lag of the events topic, up to one replica per partition', () => {
    const scaled = one('ScaledObject', 'ingest');
    const [trigger] = scaled.spec.triggers;
    expect(scaled.spec.triggers).toHaveLength(1);
    expect(trigger.type).toBe('kafka');
    expect(trigger.metadata).toMatchObject({
      bootstrapServers: config.KAFKA_BROKERS,
      consumerGroup: config.KAFKA_CONSUMER_GROUP ?? schemaDefault('KAFKA_CONSUMER_GROUP'),
      topic: config.KAFKA_TOPIC ?? schemaDefault('KAFKA_TOPIC'),
    });
    expect(scaled.spec.maxReplicaCount).toBe(Number(config.KAFKA_TOPIC_PARTITIONS ?? schemaDefault('KAFKA_TOPIC_PARTITIONS')));
    expect(scaled.spec.maxReplicaCount).toBe(6);
  });

  it("scales export-worker on the BullMQ wait list in Redis, never to zero", () => {
    const scaled = one('ScaledObject', 'export-worker');
    const [trigger] = scaled.spec.triggers;
    expect(trigger.type).toBe('redis');
    // BullMQ's prefix is REDIS_KEY_PREFIX + "bull"; waiting jobs are the LIST <prefix>:<queue>:wait.
    const prefix = config.REDIS_KEY_PREFIX ?? schemaDefault('REDIS_KEY_PREFIX');
    const queue = config.EXPORT_QUEUE_NAME ?? schemaDefault('EXPORT_QUEUE_NAME') ?? 'exports';
    expect(trigger.metadata.listName).toBe(`${prefix}bull:${queue}:wait`);
    const redis = endpoint(config.REDIS_URL);
    expect(trigger.metadata.address).toBe(`${redis.host}:${redis.port}`);
    expect(scaled.spec.minReplicaCount).toBeGreaterThanOrEqual(1);
  });

  it('limits voluntary disruptions of every app', () => {
    for (const app of APPS) {
      const budgets = all('PodDisruptionBudget').filter((p) => selects(p.spec.selector, podLabels(app)));
      expect(budgets).toHaveLength(1);
      expect(budgets[0].spec.maxUnavailable).toBe(1);
    }
  });

  describe('NetworkPolicies', () => {
    const policies = all('NetworkPolicy');
    const applying = (app: AppName, type: string) =>
      policies.filter((p) => p.spec.policyTypes.includes(type) && selects(p.spec.podSelector, podLabels(app)));
    /** "namespace:port" (or "cidr:port") of every egress an app is allowed. */
    const egress = (app: AppName) =>
      new Set(
        applying(app, 'Egress').flatMap((p) =>
          (p.spec.egress ?? []).flatMap((rule: any) =>
            rule.to.flatMap((peer: any) =>
              rule.ports.map((port: any) => `${peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] ?? peer.ipBlock?.cidr}:${port.port}`),
            ),
          ),
        ),
      );
    // The ConfigMap's addresses decide where each dependency is: <service>.<namespace>.svc:<port>.
    const at = (value: string) => {
      const { host, port } = endpoint(value);
      return `${host.split('.')[1]}:${port}`;
    };
    const kafka = at(config.KAFKA_BROKERS);
    const clickhouse = at(config.CLICKHOUSE_URL);
    const redis = at(config.REDIS_URL);
    const dns = ['kube-system:53'];

    it('deny everything not allowed, in and out, for every app pod', () => {
      const deny = policies.find((p) => p.metadata.name === 'default-deny')!;
      expect(deny.spec.policyTypes.sort()).toEqual(['Egress', 'Ingress']);
      expect(deny.spec.ingress ?? []).toEqual([]);
      expect(deny.spec.egress ?? []).toEqual([]);
      for (const app of APPS) expect(selects(deny.spec.podSelector, podLabels(app))).toBe(true);
    });

    it('let each app reach only what it needs', () => {
      expect([...egress('ingest')].sort()).toEqual([kafka, clickhouse, redis, ...dns].sort());
      expect([...egress('query')].sort()).toEqual([clickhouse, redis, ...dns].sort());
      expect([...egress('export-worker')].sort()).toEqual([clickhouse, redis, '0.0.0.0/0:443', '0.0.0.0/0:80', ...dns].sort());
      const webhook = applying('export-worker', 'Egress')
        .flatMap((p) => p.spec.egress ?? [])
        .flatMap((r: any) => r.to)
        .find((peer: any) => peer.ipBlock);
      expect(webhook.ipBlock.except).toEqual(expect.arrayContaining(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16']));
    });

    it('admit the ingress controller to query only, and Prometheus to every app', () => {
      const sources = (app: AppName) =>
        applying(app, 'Ingress')
          .flatMap((p) => p.spec.ingress ?? [])
          .flatMap((rule: any) => rule.from.map((peer: any) => peer.namespaceSelector.matchLabels['kubernetes.io/metadata.name']))
          .sort();
      expect(sources('query')).toEqual(['ingress-nginx', 'monitoring']);
      expect(sources('ingest')).toEqual(['monitoring']);
      expect(sources('export-worker')).toEqual(['monitoring']);
    });
  });

  it('keeps export files on a ReadWriteMany volume: written by export-worker, read by query', () => {
    const claim = one('PersistentVolumeClaim', 'voucher-analytics-exports');
    expect(claim.spec.accessModes).toEqual(['ReadWriteMany']);
    const mount = (app: AppName) => {
      const spec = deployment(app).spec.template.spec;
      const volume = spec.volumes.find((v: any) => v.persistentVolumeClaim?.claimName === claim.metadata.name);
      return container(app).volumeMounts.find((m: any) => m.name === volume?.name);
    };
    expect(mount('export-worker')).toEqual({ name: 'exports', mountPath: EXPORTS_PATH });
    expect(mount('query')).toEqual({ name: 'exports', mountPath: EXPORTS_PATH, readOnly: true });
    expect(mount('ingest')).toBeUndefined();
    if (KNOWN_VARIABLES.has('EXPORT_DIR')) expect(config.EXPORT_DIR).toBe(EXPORTS_PATH);
    if (overlay === 'prod') expect(claim.spec.storageClassName).toBeTruthy();
  });

  it('installs the alert rules of deploy/prometheus/alerts.yml, unchanged', () => {
    const rule = one('PrometheusRule', 'voucher-analytics');
    expect(rule.spec.groups).toEqual(readYaml<{ groups: unknown[] }>('deploy/prometheus/alerts.yml').groups);
  });

  it('scrapes /metrics of all three apps with one ServiceMonitor', () => {
    const [monitor, ...others] = all('ServiceMonitor');
    expect(others).toEqual([]);
    expect(monitor.spec.endpoints).toEqual([expect.objectContaining({ port: 'http', path: '/metrics' })]);
    for (const app of APPS) {
      const service = one('Service', app);
      const labels = service.metadata.labels!;
      expect(selects(monitor.spec.selector, labels)).toBe(true);
      for (const e of monitor.spec.selector.matchExpressions ?? []) expect(e.values).toContain(labels[e.key]);
      expect(appRoutes(app)).toContain('/metrics');
    }
  });
});
