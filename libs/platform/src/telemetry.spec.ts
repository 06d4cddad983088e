import http from 'node:http';
import { context, trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { diag, DiagConsoleLogger, DiagLogLevel } from '@opentelemetry/api';
diag.setLogger(new DiagConsoleLogger(), DiagLogLevel.DEBUG);
import { extractTraceContext, injectTraceContext, startTelemetry } from './telemetry';

function get(url: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

async function freePort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('startTelemetry', () => {
  it('propagates a parent span through inject/extract as W3C traceparent', async () => {
    const exporter = new InMemorySpanExporter();
    const t = await startTelemetry({ serviceName: 'gw', serviceInstanceId: 'g1', spanExporter: exporter });
    try {
      let carrier: Record<string, string> = {};
      const parent = t.tracer.startSpan('parent');
      context.with(trace.setSpan(context.active(), parent), () => {
        carrier = injectTraceContext();
      });
      parent.end();
      expect(carrier.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);

      // Extracted in a fresh root context, as a server would.
      const child = t.tracer.startSpan('child', {}, extractTraceContext(carrier));
      child.end();
      const spans = exporter.getFinishedSpans();
      const p = spans.find((s) => s.name === 'parent')!;
      const c = spans.find((s) => s.name === 'child')!;
      expect(c.spanContext().traceId).toBe(p.spanContext().traceId);
      expect(c.parentSpanContext?.spanId).toBe(p.spanContext().spanId);
      expect(p.resource.attributes['service.name']).toBe('gw');
      expect(p.resource.attributes['service.instance.id']).toBe('g1');
      expect(injectTraceContext()).toEqual({}); // no active span outside
      expect(extractTraceContext(undefined)).toBe(context.active());
    } finally {
      await t.shutdown();
    }
  });

  it('serves Prometheus metrics on 127.0.0.1 when metricsPort > 0', async () => {
    const port = await freePort();
    const t = await startTelemetry({ serviceName: 'broker', metricsPort: port, spanExporter: new InMemorySpanExporter() });
    try {
      expect(t.metricsPort).toBe(port);
      t.meter.createCounter('dms_test_requests', { description: 'test' }).add(5, { api: 'produce' });
      const res = await get(`http://127.0.0.1:${port}/metrics`);
      expect(res.status).toBe(200);
      expect(res.body).toMatch(/dms_test_requests(_total)?\{[^}]*api="produce"[^}]*\} 5/);
    } finally {
      await t.shutdown();
    }
    await expect(get(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
  });

  it('fails clearly when the metrics port is taken', async () => {
    const s = http.createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as { port: number }).port;
    try {
      await expect(startTelemetry({ serviceName: 'x', metricsPort: port })).rejects.toThrow(/metrics endpoint/);
      // Globals were released: a new telemetry can register.
      const t = await startTelemetry({ serviceName: 'y', spanExporter: new InMemorySpanExporter() });
      await t.shutdown();
    } finally {
      await new Promise<void>((r) => s.close(() => r()));
    }
  });

  it('exports spans over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set, and not when OTEL_TRACES_EXPORTER=none', async () => {
    const posts: string[] = [];
    const collector = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        posts.push(req.url ?? '');
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
    const endpoint = `http://127.0.0.1:${(collector.address() as { port: number }).port}`;
    const saved = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = endpoint; // the exporter itself reads process.env
    try {
      const off = await startTelemetry({ serviceName: 'x', env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_TRACES_EXPORTER: 'none' } });
      off.tracer.startSpan('dropped').end();
      await off.shutdown();
      expect(posts).toEqual([]);

      const on = await startTelemetry({ serviceName: 'x', env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint } });
      on.tracer.startSpan('exported').end();
      await on.shutdown();
      expect(posts).toEqual(['/v1/traces']);
    } finally {
      if (saved === undefined) delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
      else process.env.OTEL_EXPORTER_OTLP_ENDPOINT = saved;
      collector.closeAllConnections();
      await new Promise<void>((r) => collector.close(() => r()));
    }
  });
});
