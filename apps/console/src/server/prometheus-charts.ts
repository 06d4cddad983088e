import { GroupAdmin } from '@dms/kafka-client';
import { MAX_SERIES, sampledCharts, seriesFilter, type ChartData, type ChartQuery, type ChartSeries, type ChartSource } from './chart-source';
import type { ConsoleResources } from './console-session';
import { series } from './sampler';

export interface PrometheusSettings {
  /** Base URL (console.prometheus.url), e.g. http://prometheus:9090. */
  url: string;
  /** Span the charts show, ending now (console.prometheus.range.ms). */
  rangeMs: number;
  /** Time a query may take (console.prometheus.timeout.ms). */
  timeoutMs: number;
}

/** Points per chart: the step is the range divided into this many intervals (15 s at least). */
const POINTS = 240;

interface Matrix {
  status: string;
  error?: string;
  data?: { resultType: string; result: Array<{ metric: Record<string, string>; values: Array<[number, string]> }> };
}

/** The PromQL of each chart, over the series the brokers export (docs/metrics.md). */
export function chartQueries(stepS: number): Array<{ query: string; name: (m: Record<string, string>) => string | null; kind: 'topic' | 'groupTopic' }> {
  // A rate needs two scrapes in its window: four steps, and a minute at least.
  const w = `${Math.max(4 * stepS, 60)}s`;
  return [
    { query: `sum by (topic) (rate(kafka_server_messages_in_total[${w}]))`, name: (m) => (m.topic ? series.messagesIn(m.topic) : null), kind: 'topic' },
    { query: `sum by (topic) (rate(kafka_server_bytes_in_total[${w}]))`, name: (m) => (m.topic ? series.bytesIn(m.topic) : null), kind: 'topic' },
    {
      query: 'sum by (consumergroup, topic) (kafka_consumergroup_lag)',
      name: (m) => (m.consumergroup && m.topic ? series.groupTopicLag(m.consumergroup, m.topic) : null),
      kind: 'groupTopic',
    },
  ];
}

export type Visible = { topics: Set<string>; groups: Set<string> };
type Answer = NonNullable<Matrix['data']>['result'];

/**
 * The series of the answers the user may see, named as the console's own samples, with each
 * group's total lag summed over the topics kept (as OffsetFetch would show them to this user).
 */
export function visibleSeries(queries: ReturnType<typeof chartQueries>, answers: Answer[], visible: Visible, want: (name: string) => boolean): ChartSeries[] {
  const out: ChartSeries[] = [];
  const totals = new Map<string, Map<number, number>>();
  queries.forEach((c, i) => {
    for (const s of answers[i] ?? []) {
      const name = c.name(s.metric);
      if (!name || !visible.topics.has(s.metric.topic!)) continue;
      if (c.kind === 'groupTopic' && !visible.groups.has(s.metric.consumergroup!)) continue;
      const points = s.values.map(([t, v]) => ({ t: Math.round(t * 1000), v: Number(v) })).filter((p) => Number.isFinite(p.v));
      if (c.kind === 'groupTopic') {
        const total = totals.get(s.metric.consumergroup!) ?? new Map<number, number>();
        for (const p of points) total.set(p.t, (total.get(p.t) ?? 0) + p.v);
        totals.set(s.metric.consumergroup!, total);
      }
      if (want(name)) out.push({ name, points });
    }
  });
  for (const [group, total] of totals) {
    const name = series.groupLag(group);
    if (want(name)) out.push({ name, points: [...total].sort((a, b) => a[0] - b[0]).map(([t, v]) => ({ t, v })) });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Charts from Prometheus (`/api/v1/query_range`) when console.prometheus.url is set. Prometheus
 * knows every topic and group, so the answer is cut to what the session's user may see through
 * Kafka: the topics of its Metadata and the groups of its ListGroups (both filtered by the ACLs).
 * When Prometheus cannot answer, the console's own sampling stands in and the answer says why.
 */
export class PrometheusCharts implements ChartSource {
  constructor(private readonly o: PrometheusSettings) {}

  async charts(r: ConsoleResources, q: ChartQuery): Promise<ChartData> {
    const end = Date.now();
    const stepS = Math.max(15, Math.round(this.o.rangeMs / 1000 / POINTS));
    const queries = chartQueries(stepS).filter((c) => this.mayMatch(c.kind, q));
    const [visible, answers] = await Promise.all([
      this.visible(r).catch((e: Error) => e),
      Promise.all(queries.map((c) => this.queryRange(c.query, end - this.o.rangeMs, end, stepS))).catch((e: Error) => e),
    ]);
    if (answers instanceof Error) return sampledCharts(r, q, `Prometheus at ${this.o.url}: ${answers.message}`);
    if (visible instanceof Error) throw visible;
    const out = visibleSeries(queries, answers, visible, seriesFilter(q));
    return { source: 'prometheus', sourceError: null, intervalMs: stepS * 1000, lastSampleAt: end, lastError: null, series: out.slice(0, MAX_SERIES) };
  }

  /** Skips queries whose series the request cannot want (a group page asks only for group.lag:…). */
  private mayMatch(kind: 'topic' | 'groupTopic', q: ChartQuery): boolean {
    const prefixes = q.names ?? [q.prefix];
    return prefixes.some((p) => (kind === 'topic' ? 'topic.'.startsWith(p) || p.startsWith('topic.') : 'group.'.startsWith(p) || p.startsWith('group.')));
  }

  /** What the user may describe, through their own Kafka client. */
  private async visible(r: ConsoleResources): Promise<Visible> {
    const md = await r.client.metadata();
    const groups = await new GroupAdmin(r.client, { retries: 2 }).listGroups();
    return { topics: new Set(md.topics.filter((t) => t.errorCode === 0).map((t) => t.name)), groups: new Set(groups.map((g) => g.groupId)) };
  }

  private async queryRange(query: string, startMs: number, endMs: number, stepS: number): Promise<Answer> {
    const url = new URL('api/v1/query_range', this.o.url.endsWith('/') ? this.o.url : `${this.o.url}/`);
    url.search = new URLSearchParams({ query, start: String(startMs / 1000), end: String(endMs / 1000), step: String(stepS) }).toString();
    const res = await fetch(url, { signal: AbortSignal.timeout(this.o.timeoutMs), headers: { accept: 'application/json' } }).catch((e: Error) => {
      // fetch says only "fetch failed"; the cause (ECONNREFUSED, a timeout) is what the operator needs.
      const cause = (e.cause as { code?: string; message?: string } | undefined);
      throw new Error(e.name === 'TimeoutError' ? `no answer in ${this.o.timeoutMs} ms` : `${e.message}${cause ? ` (${cause.code ?? cause.message})` : ''}`);
    });
    const body = (await res.json().catch(() => null)) as Matrix | null;
    if (!res.ok || body?.status !== 'success' || body.data?.resultType !== 'matrix') {
      throw new Error(`query_range answered ${res.status}${body?.error ? `: ${body.error}` : ''}`);
    }
    return body.data.result;
  }
}
