/** One sample of a live gauge: its labels and value now. */
export interface GaugeSample {
  labels: Readonly<Record<string, string | number>>;
  value: number;
}

/**
 * Gauges whose series come and go (one per partition, per consumer group and partition), read
 * at scrape time and rendered straight into the Prometheus text. OpenTelemetry's observable
 * gauges keep exporting a series after its last observation under cumulative temporality, so a
 * group whose coordinator moved, or a deleted topic, would be reported forever by the old broker;
 * these report exactly what exists at the scrape.
 */
export class LiveGauges {
  private readonly gauges = new Map<string, { help: string; collect: () => Iterable<GaugeSample> }>();
  private readonly sources: (() => string)[] = [];

  /**
   * A source of ready-made Prometheus text (series whose names are not ours, such as the metrics
   * clients push, KIP-714), appended after the gauges; a failing source is skipped with a comment.
   */
  addTextSource(render: () => string): void {
    this.sources.push(render);
  }

  /** `name` in OpenTelemetry's dotted form, as in the metric catalogue. */
  register(name: string, help: string, collect: () => Iterable<GaugeSample>): void {
    const promName = name.replace(/\./g, '_');
    if (this.gauges.has(promName)) throw new Error(`live gauge ${name} registered twice`);
    this.gauges.set(promName, { help, collect });
  }

  /** The Prometheus text exposition of every gauge (a failing collector is skipped, with a comment). */
  render(): string {
    const out: string[] = [];
    for (const [name, g] of this.gauges) {
      let samples: GaugeSample[];
      try {
        samples = [...g.collect()];
      } catch (err) {
        out.push(`# ${name}: collection failed: ${escapeHelp((err as Error).message)}`);
        continue;
      }
      out.push(`# HELP ${name} ${escapeHelp(g.help)}`, `# TYPE ${name} gauge`);
      for (const s of samples) {
        const labels = Object.entries(s.labels).map(([k, v]) => `${k}="${escapeLabel(String(v))}"`);
        labels.push('otel_scope_name="dms"');
        out.push(`${name}{${labels.join(',')}} ${formatValue(s.value)}`);
      }
    }
    let text = out.length > 0 ? `${out.join('\n')}\n` : '';
    for (const source of this.sources) {
      try {
        text += source();
      } catch (err) {
        text += `# text source failed: ${escapeHelp((err as Error).message)}\n`;
      }
    }
    return text;
  }
}

const escapeHelp = (s: string) => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const escapeLabel = (s: string) => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const formatValue = (v: number) => (Number.isNaN(v) ? 'NaN' : v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : String(v));
