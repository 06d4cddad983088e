// A stand-in for Prometheus in the console's tests (no Prometheus is installed here): it scrapes the
// services' real /metrics endpoints (text format), keeps every scrape, and answers
// /api/v1/query_range for the expression shapes the console sends:
//   sum by (l1, l2) (metric)          and          sum by (l1, l2) (rate(metric[w]))
// from those scrapes (a rate between two consecutive scrapes, at the later one's time). Anything
// else is answered 400 bad_data, as Prometheus does for a query it cannot parse.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Parses the Prometheus text exposition format (comments skipped, escapes in label values kept simple). */
export function parseExposition(text: string): Sample[] {
  const out: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[k!] = v!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

export interface Scrape {
  t: number;
  samples: Sample[];
}

const seriesKey = (s: Sample, instance: string) => `${instance}|${JSON.stringify(Object.entries(s.labels).sort())}`;

export class ScrapingPrometheus {
  readonly scrapes: Scrape[] = [];
  targets: string[] = [];
  /** While set, every query is answered 503 (Prometheus down). */
  failing = false;
  readonly queries: string[] = [];
  private server!: Server;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      void this.answer(req.url ?? '').then(
        ([status, body]) => {
          res.writeHead(status, { 'content-type': 'application/json' });
          res.end(JSON.stringify(body));
        },
        (e: Error) => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ status: 'error', errorType: 'internal', error: e.message }));
        },
      );
    });
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    if (!this.server) return Promise.resolve();
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  /** Scrapes every target now; each sample gets its target as `instance`. */
  async scrape(): Promise<Scrape> {
    const t = Date.now();
    const samples: Sample[] = [];
    for (const target of this.targets) {
      const res = await fetch(`http://${target}/metrics`, { signal: AbortSignal.timeout(10_000) });
      if (res.status !== 200) throw new Error(`scrape of ${target}: ${res.status}`);
      for (const s of parseExposition(await res.text())) samples.push({ ...s, labels: { ...s.labels, instance: target } });
    }
    const scrape = { t, samples };
    this.scrapes.push(scrape);
    return scrape;
  }

  private async answer(url: string): Promise<[number, unknown]> {
    const u = new URL(url, 'http://x');
    if (u.pathname !== '/api/v1/query_range') return [404, { status: 'error', errorType: 'not_found', error: u.pathname }];
    if (this.failing) return [503, { status: 'error', errorType: 'unavailable', error: 'down for the test' }];
    const query = u.searchParams.get('query') ?? '';
    this.queries.push(query);
    const start = Number(u.searchParams.get('start')) * 1000;
    const end = Number(u.searchParams.get('end')) * 1000;
    const m = /^sum by \(([\w, ]+)\) \((?:(rate)\((\w+)\[\d+s\]\)|(\w+))\)$/.exec(query);
    if (!m || !(end >= start)) return [400, { status: 'error', errorType: 'bad_data', error: `cannot evaluate ${query}` }];
    const by = m[1]!.split(',').map((s) => s.trim());
    const metric = (m[3] ?? m[4])!;
    const inRange = this.scrapes.filter((s) => s.t >= start - 60_000 && s.t <= end);
    const result = new Map<string, { metric: Record<string, string>; values: Array<[number, string]> }>();
    const add = (t: number, labels: Record<string, string>, v: number) => {
      const metricLabels = Object.fromEntries(by.map((l) => [l, labels[l] ?? '']));
      const key = JSON.stringify(metricLabels);
      const r = result.get(key) ?? { metric: metricLabels, values: [] };
      const last = r.values.at(-1);
      if (last && last[0] === t / 1000) last[1] = String(Number(last[1]) + v);
      else r.values.push([t / 1000, String(v)]);
      result.set(key, r);
    };
    for (let i = 0; i < inRange.length; i++) {
      const now = inRange[i]!;
      if (!m[2]) {
        for (const s of now.samples) if (s.name === metric) add(now.t, s.labels, s.value);
        continue;
      }
      const prev = inRange[i - 1];
      if (!prev) continue;
      const before = new Map(prev.samples.filter((s) => s.name === metric).map((s) => [seriesKey(s, s.labels.instance!), s.value]));
      for (const s of now.samples) {
        if (s.name !== metric) continue;
        const was = before.get(seriesKey(s, s.labels.instance!));
        if (was === undefined) continue;
        add(now.t, s.labels, Math.max(0, s.value - was) / ((now.t - prev.t) / 1000));
      }
    }
    return [200, { status: 'success', data: { resultType: 'matrix', result: [...result.values()] } }];
  }
}
