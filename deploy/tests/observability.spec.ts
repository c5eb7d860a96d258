import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parser } from '@prometheus-io/lezer-promql';
import type { SyntaxNode } from '@lezer/common';
import { ROOT, readText, readYaml } from './support';

// Alert rules and the Grafana dashboard are parsed with Prometheus' own PromQL grammar, and every
// metric (and label) they use is checked against the metrics the code defines.

/** Exported by other processes: prom-client's default process metrics, redis_exporter. */
const EXTERNAL_METRICS = /^(process_|nodejs_|redis_up$)/;
/** Added by Prometheus / the Operator when scraping (target labels), and histogram buckets. */
const TARGET_LABELS = new Set(['namespace', 'pod', 'job', 'instance', 'service', 'container', 'le']);

// ---------------------------------------------------------------------------------------------

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') && !path.endsWith('.spec.ts') ? [path] : [];
  });
}

/** name -> label names, for every counter/gauge/histogram the apps and libs create. */
function definedMetrics(): Map<string, string[]> {
  const metrics = new Map<string, string[]>();
  const strings = (list?: string) => [...(list ?? '').matchAll(/'([^']+)'/g)].map((m) => m[1]);
  for (const file of [...sourceFiles(join(ROOT, 'apps')), ...sourceFiles(join(ROOT, 'libs'))]) {
    const source = readFileSync(file, 'utf8');
    for (const m of source.matchAll(/\b(counter|gauge)\(\s*'([a-z_:][a-z0-9_:]*)',\s*'[^']*'(?:,\s*(\[[^\]]*\]))?/g)) metrics.set(m[2], strings(m[3]));
    for (const m of source.matchAll(/\bhistogram\(\s*'([a-z_:][a-z0-9_:]*)',\s*'[^']*',\s*\[[^\]]*\](?:,\s*(\[[^\]]*\]))?/g)) metrics.set(m[1], strings(m[2]));
    for (const m of source.matchAll(/new (?:Counter|Gauge|Histogram|Summary)\(\{\s*name:\s*'([a-z_:][a-z0-9_:]*)'[\s\S]*?(?:labelNames:\s*(\[[^\]]*\]))?[\s\S]*?\}\)/g))
      metrics.set(m[1], strings(m[2]));
  }
  return metrics;
}

const DEFINED = definedMetrics();
const base = (name: string) => name.replace(/_(bucket|count|sum)$/, '');
const known = (name: string) => DEFINED.has(name) || DEFINED.has(base(name)) || EXTERNAL_METRICS.test(name);
const labelsOf = (name: string): string[] | undefined => DEFINED.get(name) ?? DEFINED.get(base(name));

interface Analysis {
  errors: string[];
  metrics: string[];
}

/** Parses one PromQL expression; returns syntax errors, unknown metrics/labels, and the metrics used. */
function analyse(expr: string): Analysis {
  const tree = parser.parse(expr);
  const errors: string[] = [];
  const metrics: string[] = [];
  const text = (n: SyntaxNode) => expr.slice(n.from, n.to);
  const selectorsIn = (n: SyntaxNode) => {
    const found: string[] = [];
    const cursor = n.cursor();
    do if (cursor.name === 'VectorSelector') {
      const id = cursor.node.getChild('Identifier');
      if (id) found.push(text(id));
    } while (cursor.next() && cursor.from < n.to);
    return found;
  };
  tree.iterate({
    enter: (ref) => {
      const node = ref.node;
      if (ref.type.isError) errors.push(`syntax error at ${ref.from}: "${expr.slice(Math.max(0, ref.from - 20), ref.to + 20)}"`);
      if (ref.name === 'VectorSelector') {
        const id = node.getChild('Identifier');
        if (!id) return;
        const name = text(id);
        metrics.push(name);
        if (!known(name)) errors.push(`unknown metric ${name}`);
        const labels = labelsOf(name);
        const matchers = node.getChild('LabelMatchers');
        if (labels && matchers) {
          for (const label of matchers.getChildren('UnquotedLabelMatcher').map((m) => m.getChild('LabelName')!)) {
            const l = text(label);
            if (!labels.includes(l) && !TARGET_LABELS.has(l)) errors.push(`${name} has no label ${l}`);
          }
        }
      }
      if (ref.name === 'AggregateExpr') {
        const grouping = node.getChild('AggregateModifier')?.getChild('GroupingLabels');
        if (!grouping) return;
        const inner = selectorsIn(node);
        for (const label of grouping.getChildren('LabelName').map(text)) {
          const has = inner.some((m) => (labelsOf(m) ?? []).includes(label));
          if (!has && !TARGET_LABELS.has(label)) errors.push(`grouping by ${label}, which none of ${inner.join(', ')} has`);
        }
      }
    },
  });
  return { errors, metrics };
}

/** GitHub-style anchors of every heading of a markdown file. */
function anchors(markdown: string): Set<string> {
  return new Set(
    [...markdown.matchAll(/^#{1,6}\s+(.+)$/gm)].map((m) =>
      m[1]
        .trim()
        .toLowerCase()
        .replace(/[^\w\- ]/g, '')
        .replace(/ /g, '-'),
    ),
  );
}

describe('PromQL analysis (the checker itself)', () => {
  it('flags syntax errors, unknown metrics and labels, and accepts real ones', () => {
    expect(analyse('sum by (reason) (rate(ingest_events_rejected_total[5m]))').errors).toEqual([]);
    expect(analyse('sum(rate(ingest_events_rejected_total[5m]) by').errors.length).toBeGreaterThan(0);
    expect(analyse('rate(ingest_events_rejectd_total[5m])').errors).toEqual(['unknown metric ingest_events_rejectd_total']);
    expect(analyse('rate(ingest_flush_retries_total{phase="x"}[5m])').errors).toEqual(['ingest_flush_retries_total has no label phase']);
    expect(analyse('sum by (reasons) (rate(ingest_events_rejected_total[5m]))').errors).toEqual([
      'grouping by reasons, which none of ingest_events_rejected_total has',
    ]);
    expect(DEFINED.get('ingest_consumer_lag')).toEqual(['topic', 'partition']);
  });
});

describe('deploy/prometheus/alerts.yml', () => {
  const file = readYaml<{ groups: { name: string; rules: Record<string, any>[] }[] }>('deploy/prometheus/alerts.yml'); // eslint-disable-line @typescript-eslint/no-explicit-any
  const rules = file.groups.flatMap((g) => g.rules);
  const docAnchors = anchors(readText('docs/operations.md'));

  it('has uniquely named groups and alerts', () => {
    expect(new Set(file.groups.map((g) => g.name)).size).toBe(file.groups.length);
    expect(new Set(rules.map((r) => r.alert)).size).toBe(rules.length);
  });

  it.each(rules.map((r) => [r.alert, r]))('%s: valid PromQL over known metrics, severity, summary and a runbook that exists', (_name, rule) => {
    expect(Object.keys(rule).sort()).toEqual(['alert', 'annotations', 'expr', 'for', 'labels'].filter((k) => k in rule).sort());
    expect(analyse(rule.expr).errors).toEqual([]);
    expect(rule.for).toMatch(/^\d+[smh]$/);
    expect(['warning', 'critical']).toContain(rule.labels.severity);
    expect(rule.annotations.summary).toBeTruthy();
    const [path, anchor] = rule.annotations.runbook_url.split('#');
    expect(path).toBe('docs/operations.md');
    expect([anchor, docAnchors.has(anchor)]).toEqual([anchor, true]);
  });

  it('covers lag growing, DLQ rate, 5xx rate, ClickHouse unavailable and exports failing', () => {
    const uses = (metric: string, matcher = '') => rules.filter((r) => r.expr.includes(metric) && r.expr.includes(matcher)).map((r) => r.alert);
    expect(uses('deriv(', 'ingest_consumer_lag')).toContain('IngestConsumerLagGrowing');
    expect(uses('ingest_events_rejected_total')).toContain('IngestDeadLetterRate');
    expect(uses('query_http_requests_total', 'status=~"5.."')).toContain('QueryApiErrorRate');
    expect(uses('ingest_flush_retries_total', 'stage="clickhouse"')).toContain('ClickHouseUnavailable');
    expect(uses('export_failed_total')).toContain('ExportsFailing');
  });
});

describe('deploy/grafana/voucher-analytics.json', () => {
  const dashboard = JSON.parse(readText('deploy/grafana/voucher-analytics.json'));
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const panels: any[] = dashboard.panels.filter((p: any) => p.type !== 'row');
  // Grafana's variables, replaced as Grafana would before Prometheus sees the query.
  const expand = (expr: string) => expr.replaceAll('$__rate_interval', '5m').replaceAll('$namespace', '.*');

  it('is a provisionable dashboard with a datasource variable and unique panel ids inside the grid', () => {
    expect(dashboard.uid).toBe('voucher-analytics');
    expect(dashboard.templating.list.map((v: { name: string }) => v.name)).toEqual(['datasource', 'namespace']);
    const ids = dashboard.panels.map((p: { id: number }) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dashboard.panels) expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
    for (const p of panels) expect(p.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
  });

  it.each(panels.map((p) => [p.title, p]))('%s: every query is valid PromQL over known metrics', (_title, panel) => {
    expect(panel.targets.length).toBeGreaterThan(0);
    for (const target of panel.targets) expect(analyse(expand(target.expr)).errors).toEqual([]);
  });

  it('shows ingest rate, lag, DLQ by reason, flush latency, API latency, cache hits, rate limits, export depth and durations', () => {
    const used = new Set(panels.flatMap((p) => p.targets.flatMap((t: { expr: string }) => analyse(expand(t.expr)).metrics.map(base))));
    for (const metric of [
      'ingest_events_inserted_total',
      'ingest_consumer_lag',
      'ingest_events_rejected_total',
      'ingest_flush_duration_seconds',
      'query_http_request_duration_seconds',
      'query_http_requests_total',
      'query_cache_lookups_total',
      'export_queue_waiting',
      'export_duration_seconds',
      'export_failed_total',
    ])
      expect([metric, used.has(metric)]).toEqual([metric, true]);
  });
});
