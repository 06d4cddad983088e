import http from 'node:http';
import { ROOT_CONTEXT, context, trace, TraceFlags } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { extractTraceContext, injectTraceContext, startTelemetry, tracesExportersFromEnv } from './telemetry';
import { samplerFromEnv, samplerRatio } from './trace-sampler';

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

  it('reports the event loop of every process with a metrics endpoint: delay percentiles and idle share', async () => {
    const port = await freePort();
    const t = await startTelemetry({ serviceName: 'gw', metricsPort: port, spanExporter: new InMemorySpanExporter() });
    try {
      // Block the loop for a while so the delay shows.
      await new Promise((r) => setTimeout(r, 30));
      const until = Date.now() + 60;
      while (Date.now() < until);
      await new Promise((r) => setTimeout(r, 30));
      const body = (await get(`http://127.0.0.1:${port}/metrics`)).body;
      const value = (re: RegExp) => Number(re.exec(body)?.[1]);
      expect(value(/^kafka_network_event_loop_delay\{quantile="1"[^}]*\} (\S+)$/m)).toBeGreaterThanOrEqual(40);
      const idle = value(/^kafka_network_processor_avg_idle_percent\{[^}]*\} (\S+)$/m);
      expect(idle).toBeGreaterThanOrEqual(0);
      expect(idle).toBeLessThan(1);
    } finally {
      await t.shutdown();
    }
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

  // The OTLP exporter loads node:http through import(), which jest's VM refuses, so its POST is
  // checked outside jest (see the report); here we check which exporters the env selects.
  it('selects exporters from the standard OTEL_* variables', () => {
    const names = (env: NodeJS.ProcessEnv) => tracesExportersFromEnv(env).map((e) => e.constructor.name);
    expect(names({})).toEqual([]);
    expect(names({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' })).toEqual(['OTLPTraceExporter']);
    expect(names({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' })).toEqual(['OTLPTraceExporter']);
    expect(names({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x', OTEL_TRACES_EXPORTER: 'none' })).toEqual([]);
    expect(names({ OTEL_TRACES_EXPORTER: 'otlp,console' })).toEqual(['OTLPTraceExporter', 'ConsoleSpanExporter']);
    expect(names({ OTEL_TRACES_EXPORTER: 'jaeger' })).toEqual([]);
  });

  it('without an exporter: a no-op tracer, no context manager, nothing to propagate', async () => {
    const t = await startTelemetry({ serviceName: 'quiet', env: {} });
    try {
      expect(t.tracing).toBe(false);
      const span = t.tracer.startSpan('kafka.produce');
      expect(span.isRecording()).toBe(false);
      expect(trace.isSpanContextValid(span.spanContext())).toBe(false);
      // No AsyncLocalStorage manager: context.with does not carry a context into callbacks.
      const seen = await context.with(trace.setSpan(context.active(), span), async () => {
        await new Promise((r) => setImmediate(r));
        return context.active();
      });
      expect(seen).toBe(ROOT_CONTEXT);
      expect(injectTraceContext()).toEqual({});
      span.end();
    } finally {
      await t.shutdown();
    }
    // The globals were left free for a telemetry that does export.
    const exporter = new InMemorySpanExporter();
    const t2 = await startTelemetry({ serviceName: 'loud', spanExporter: exporter, env: {} });
    try {
      expect(t2.tracing).toBe(true);
      const s = t2.tracer.startSpan('x');
      const inside = await context.with(trace.setSpan(context.active(), s), async () => {
        await new Promise((r) => setImmediate(r));
        return trace.getActiveSpan();
      });
      expect(inside).toBe(s);
      s.end();
      expect(exporter.getFinishedSpans().map((x) => x.name)).toEqual(['x']);
    } finally {
      await t2.shutdown();
    }
  });

  it('honours OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG with an exporter', async () => {
    const exporter = new InMemorySpanExporter();
    const off = await startTelemetry({ serviceName: 's', spanExporter: exporter, env: { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0' } });
    try {
      const root = off.tracer.startSpan('root');
      expect(root.isRecording()).toBe(false);
      // Sampled out, but the decision still travels (sampled flag 0) so children agree.
      expect(trace.isSpanContextValid(root.spanContext())).toBe(true);
      expect(root.spanContext().traceFlags & TraceFlags.SAMPLED).toBe(0);
      root.end();
      // A sampled remote parent is followed whatever the ratio.
      const parent = extractTraceContext({ traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' }, ROOT_CONTEXT);
      const child = off.tracer.startSpan('child', {}, parent);
      expect(child.isRecording()).toBe(true);
      child.end();
      expect(exporter.getFinishedSpans().map((x) => x.name)).toEqual(['child']);
    } finally {
      await off.shutdown();
    }
  });

  it('builds samplers from the env names and ratios', () => {
    const d = (env: NodeJS.ProcessEnv) => samplerFromEnv(env).toString();
    expect(d({})).toMatch(/ParentBased\{root=AlwaysOnSampler/);
    expect(d({ OTEL_TRACES_SAMPLER: 'always_off' })).toBe('AlwaysOffSampler');
    expect(d({ OTEL_TRACES_SAMPLER: 'always_on' })).toBe('AlwaysOnSampler');
    expect(d({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' })).toBe('TraceIdRatioBased{0.25}');
    expect(d({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.5' })).toMatch(/ParentBased\{root=TraceIdRatioBased\{0.5\}/);
    expect(d({ OTEL_TRACES_SAMPLER: 'parentbased_always_off' })).toMatch(/ParentBased\{root=AlwaysOffSampler/);
    expect(d({ OTEL_TRACES_SAMPLER: 'bogus' })).toMatch(/ParentBased\{root=AlwaysOnSampler/);
    expect(samplerRatio(undefined)).toBe(1);
    expect(samplerRatio('2')).toBe(1);
    expect(samplerRatio('x')).toBe(1);
    expect(samplerRatio('0.1')).toBe(0.1);
  });
});
