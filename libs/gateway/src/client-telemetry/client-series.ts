// The latest pushed metrics of every client instance, bounded, rendered as Prometheus text at
// scrape time (the way decision 0020's live gauges are: only what exists now is reported).
import type { MetricPoint } from './otlp-metrics';

export interface ClientLabels {
  client_instance_id: string;
  principal: string;
  client_id: string;
  client_software_name: string;
  client_software_version: string;
}

/**
 * Name prefixes of the process's own series on the same /metrics: a pushed metric rendered under
 * one of them could repeat a metric family, which makes Prometheus refuse the whole scrape.
 */
const RESERVED_PREFIXES = ['kafka_', 'dms_', 'otel_', 'target_info', 'process_', 'nodejs_'];

/** One series, its sample lines rendered when pushed (a scrape only groups and joins them). */
interface Series {
  /** The metric family it renders in (counters with `_total`). */
  name: string;
  kind: MetricPoint['kind'];
  text: string;
}

interface ClientSeries {
  series: Series[];
}

export interface SeriesLimits {
  /** Series kept per client instance; the rest of a push is dropped. */
  maxSeriesPerClient: number;
  /** Series kept over all clients; a push that would pass it keeps only what fits. */
  maxSeries: number;
}

const MAX_LABELS = 32;
const MAX_LABEL_VALUE = 256;
const OUR_LABELS = new Set(['client_instance_id', 'principal', 'client_id', 'client_software_name', 'client_software_version']);

/** A Prometheus metric or label name from an OTLP one (dots and other characters become "_"). */
export function promName(name: string): string {
  const s = name.replace(/[^a-zA-Z0-9_:]/g, '_');
  return /^[0-9]/.test(s) ? `_${s}` : s;
}

const escapeLabel = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const formatValue = (v: number) => (Number.isNaN(v) ? 'NaN' : v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : String(v));

export class ClientSeriesStore {
  private readonly clients = new Map<string, ClientSeries>();
  private total = 0;

  constructor(private readonly limits: SeriesLimits) {}

  get seriesCount(): number {
    return this.total;
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /** Replaces a client's series with those of its latest push; returns how many points were dropped (limits, reserved names). */
  put(instanceId: string, labels: ClientLabels, points: readonly MetricPoint[]): number {
    this.remove(instanceId);
    const room = Math.max(0, Math.min(this.limits.maxSeriesPerClient, this.limits.maxSeries - this.total));
    const series: Series[] = [];
    const seen = new Set<string>();
    const clientText = Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',');
    let dropped = 0;
    for (const p of points) {
      const name = promName(p.name);
      if (RESERVED_PREFIXES.some((r) => name.startsWith(r))) {
        dropped++;
        continue;
      }
      const own = Object.entries(pointLabels(p.attributes)).map(([k, v]) => `${k}="${escapeLabel(v)}",`).join('');
      const key = `${name}{${own}`;
      if (seen.has(key)) continue; // a duplicate point of one series: the first stands
      if (series.length >= room) {
        dropped++;
        continue;
      }
      seen.add(key);
      const l = `{${own}${clientText}}`;
      const text = p.kind === 'histogram'
        ? `${name}_count${l} ${formatValue(p.count ?? 0)}\n${name}_sum${l} ${formatValue(p.value)}\n`
        : `${p.kind === 'counter' ? counterName(name) : name}${l} ${formatValue(p.value)}\n`;
      series.push({ name: p.kind === 'counter' ? counterName(name) : name, kind: p.kind, text });
    }
    this.clients.set(instanceId, { series });
    this.total += series.length;
    return dropped;
  }

  remove(instanceId: string): void {
    const old = this.clients.get(instanceId);
    if (!old) return;
    this.total -= old.series.length;
    this.clients.delete(instanceId);
  }

  /** Prometheus text of every client's series, grouped by metric name; a name seen with two kinds keeps the first. */
  render(): string {
    const byName = new Map<string, { kind: Series['kind']; lines: string[] }>();
    for (const c of this.clients.values()) {
      for (const s of c.series) {
        let group = byName.get(s.name);
        if (!group) byName.set(s.name, (group = { kind: s.kind, lines: [] }));
        if (group.kind === s.kind) group.lines.push(s.text);
      }
    }
    const out: string[] = [];
    for (const [name, g] of byName) {
      if (g.kind === 'histogram') out.push(`# TYPE ${name} summary\n`);
      else out.push(`# TYPE ${name} ${g.kind === 'counter' ? 'counter' : 'gauge'}\n`);
      for (const line of g.lines) out.push(line);
    }
    return out.join('');
  }
}

const counterName = (name: string) => (name.endsWith('_total') ? name : `${name}_total`);

/** A point's attributes as labels: bounded in number and length; ours (instance, principal, ...) win. */
function pointLabels(attributes: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  let n = 0;
  for (const [k, v] of Object.entries(attributes)) {
    const name = promName(k);
    if (OUR_LABELS.has(name) || name.startsWith('__')) continue;
    if (++n > MAX_LABELS) break;
    out[name] = v.length > MAX_LABEL_VALUE ? v.slice(0, MAX_LABEL_VALUE) : v;
  }
  return out;
}
