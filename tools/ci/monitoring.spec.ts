// The dashboards, alert rules and docs/metrics.md name metrics the code exports: every series a
// PromQL expression selects is in the catalogue (libs/platform metric-names.ts) under the right
// Prometheus suffix, with labels the metric has; every catalogued metric is documented.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { MetricCatalogue, prometheusSeries, type MetricSpec } from '@dms/platform';

const root = join(__dirname, '../..');
const dashboardsDir = join(root, 'deploy/grafana/dashboards');

/** Prometheus series name -> the metric spec it comes from. */
const series = new Map<string, MetricSpec>();
for (const spec of Object.values(MetricCatalogue)) for (const s of prometheusSeries(spec)) series.set(s, spec);

/** Labels every scraped series carries besides its own. */
const TARGET_LABELS = ['job', 'instance'];

/** Each metric selector in a PromQL expression: its name and the label names of its matcher. */
function selectors(expr: string): Array<{ name: string; labels: string[] }> {
  const out: Array<{ name: string; labels: string[] }> = [];
  for (const m of expr.matchAll(/\b(kafka_[a-z0-9_]+)\b(\{([^}]*)\})?/g)) {
    const labels = [...(m[3] ?? '').matchAll(/([a-zA-Z_]\w*)\s*(=~|!~|!=|=)/g)].map((l) => l[1]!);
    out.push({ name: m[1]!, labels });
  }
  return out;
}

/** Label names in `by (...)` / `without (...)` clauses. */
const groupingLabels = (expr: string): string[] =>
  [...expr.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)].flatMap((m) => m[1]!.split(',').map((s) => s.trim()).filter(Boolean));

function checkExpr(where: string, expr: string): string[] {
  const problems: string[] = [];
  const used = selectors(expr);
  if (used.length === 0) problems.push(`${where}: selects no DMS metric: ${expr}`);
  const known = new Set<string>(TARGET_LABELS);
  for (const { name, labels } of used) {
    const spec = series.get(name);
    if (!spec) {
      problems.push(`${where}: ${name} is not exported (not in the metric catalogue)`);
      continue;
    }
    const allowed = new Set([...spec.labels, ...TARGET_LABELS, ...(spec.kind === 'histogram' && name.endsWith('_bucket') ? ['le'] : [])]);
    for (const l of [...spec.labels, ...allowed]) known.add(l);
    for (const l of labels) if (!allowed.has(l)) problems.push(`${where}: ${name} has no label ${l}`);
  }
  for (const l of groupingLabels(expr)) if (!known.has(l)) problems.push(`${where}: groups by ${l}, which none of its metrics has`);
  return problems;
}

interface Panel {
  title?: string;
  type: string;
  targets?: Array<{ expr?: string }>;
  panels?: Panel[];
}

const dashboardFiles = readdirSync(dashboardsDir).filter((f) => f.endsWith('.json'));

describe('Grafana dashboards', () => {
  it('cover cluster health, topics, consumer lag and the gateway', () => {
    expect(dashboardFiles.sort()).toEqual(['cluster-health.json', 'consumer-lag.json', 'gateway.json', 'topics.json']);
  });

  it.each(dashboardFiles)('%s queries only exported metrics and labels', (file) => {
    const dash = JSON.parse(readFileSync(join(dashboardsDir, file), 'utf8')) as {
      uid: string; title: string; panels: Panel[]; templating: { list: Array<{ name: string; query?: unknown }> };
    };
    expect(dash.uid).toMatch(/^dms-/);
    const problems: string[] = [];
    const panels = dash.panels.flatMap((p) => [p, ...(p.panels ?? [])]).filter((p) => p.type !== 'row');
    expect(panels.length).toBeGreaterThan(3);
    for (const p of panels) {
      expect(p.targets?.length).toBeGreaterThan(0);
      for (const t of p.targets ?? []) problems.push(...checkExpr(`${file} "${p.title}"`, t.expr ?? ''));
    }
    for (const v of dash.templating.list) {
      const q = v.query as { query?: string } | string | undefined;
      const text = typeof q === 'string' ? q : q?.query;
      if (text && text.includes('label_values')) problems.push(...checkExpr(`${file} variable ${v.name}`, text));
    }
    expect(problems).toEqual([]);
  });
});

describe('Prometheus alert rules', () => {
  const rules = parse(readFileSync(join(root, 'deploy/prometheus/alerts.yaml'), 'utf8')) as {
    groups: Array<{ name: string; rules: Array<{ alert: string; expr: string; labels?: { severity?: string } }> }>;
  };
  const all = rules.groups.flatMap((g) => g.rules);

  it('alert on offline, under-replicated and under-min-ISR partitions, lag growth and disk use', () => {
    const uses = (metric: string) => all.some((r) => selectors(r.expr).some((s) => s.name === metric));
    for (const metric of [
      'kafka_controller_offline_partitions_count',
      'kafka_server_under_replicated_partitions',
      'kafka_server_under_min_isr_partitions',
      'kafka_consumergroup_lag',
      'kafka_log_dir_used_bytes',
    ]) expect([metric, uses(metric)]).toEqual([metric, true]);
  });

  it('use only exported metrics and labels, each with a severity', () => {
    const problems = all.flatMap((r) => checkExpr(`alert ${r.alert}`, r.expr));
    expect(problems).toEqual([]);
    for (const r of all) expect([r.alert, r.labels?.severity]).toEqual([r.alert, expect.stringMatching(/^(warning|critical)$/)]);
  });

  it('are loaded by the compose scrape config, which scrapes every role', () => {
    const prom = parse(readFileSync(join(root, 'deploy/prometheus/prometheus.yaml'), 'utf8')) as {
      rule_files: string[]; scrape_configs: Array<{ job_name: string }>;
    };
    expect(prom.rule_files.some((f) => f.endsWith('alerts.yaml'))).toBe(true);
    expect(prom.scrape_configs.map((s) => s.job_name).sort()).toEqual(['dms-broker', 'dms-console', 'dms-controller', 'dms-gateway']);
  });
});

describe('docs/metrics.md', () => {
  const doc = readFileSync(join(root, 'docs/metrics.md'), 'utf8');
  it.each(Object.values(MetricCatalogue).map((s) => [prometheusSeries(s)[0]!.replace(/_bucket$/, ''), s] as const))('documents %s', (name) => {
    expect(doc).toMatch(new RegExp(`\\|\\s*\`${name}`));
  });

  it('names no metric the code does not export', () => {
    // Names ending in `_` are prefixes the prose mentions (kafka_server_…), not metrics.
    const named = [...doc.matchAll(/`(kafka_[a-z0-9_]+)/g)].map((m) => m[1]!).filter((n) => !n.endsWith('_'));
    const unknown = named.filter((n) => !series.has(n) && !series.has(`${n}_bucket`));
    expect(unknown).toEqual([]);
  });
});

describe('the expression checker', () => {
  it('catches an unknown metric, a missing label and a wrong suffix', () => {
    expect(checkExpr('t', 'sum(kafka_consumergroup_lag{consumergroup="g"})')).toEqual([]);
    expect(checkExpr('t', 'kafka_no_such_metric')).toHaveLength(1);
    expect(checkExpr('t', 'kafka_consumergroup_lag{group="g"}')).toHaveLength(1);
    expect(checkExpr('t', 'rate(kafka_server_bytes_in[1m])')).toHaveLength(1);
    expect(checkExpr('t', 'sum by (client) (kafka_server_bytes_in_total)')).toHaveLength(1);
  });
});
