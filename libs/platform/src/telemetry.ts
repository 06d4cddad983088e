import {
  context,
  diag,
  metrics,
  propagation,
  ProxyTracerProvider,
  trace,
  type Context,
  type Meter,
  type TextMapGetter,
  type Tracer,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, type ViewOptions } from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';
import { eventLoopMetrics } from './event-loop-metrics';
import { LiveGauges } from './live-gauges';
import { MetricsEndpoint } from './metrics-endpoint';
import { MetricCatalogue } from './metric-names';
import { samplerFromEnv } from './trace-sampler';

export interface TelemetryOptions {
  serviceName: string;
  serviceInstanceId?: string;
  serviceVersion?: string;
  /** Prometheus endpoint port; 0 or undefined disables it. */
  metricsPort?: number;
  /** Defaults to 127.0.0.1 so metrics are not exposed by accident. */
  metricsHost?: string;
  /** Overrides the env-selected exporter (tests pass an InMemorySpanExporter). */
  spanExporter?: SpanExporter;
  /** Environment to read OTEL_* variables from (defaults to process.env). */
  env?: NodeJS.ProcessEnv;
  /** Upper bound for the final flush: an unreachable collector must not hold up process exit. */
  shutdownTimeoutMs?: number;
}

export interface Telemetry {
  tracer: Tracer;
  /**
   * Whether spans are recorded and exported. Without an exporter the tracer is a no-op, no
   * context manager is installed and trace context is neither injected nor extracted.
   */
  tracing: boolean;
  meter: Meter;
  /** Gauges whose series come and go (per partition, per group), rendered at each scrape. */
  liveGauges: LiveGauges;
  /** The port the Prometheus endpoint listens on, or 0 when disabled. */
  metricsPort: number;
  /** Flushes and stops exporters, and unregisters the global providers this call set. */
  shutdown(): Promise<void>;
}

const INSTRUMENTATION_SCOPE = 'dms';

/**
 * Sets up tracing and metrics without auto-instrumentation (which costs seconds of startup):
 * our spans are created explicitly at the Kafka edge and in the gRPC helpers.
 */
export async function startTelemetry(opts: TelemetryOptions): Promise<Telemetry> {
  const env = opts.env ?? process.env;
  const attributes: Record<string, string> = { [ATTR_SERVICE_NAME]: opts.serviceName };
  if (opts.serviceInstanceId !== undefined) attributes['service.instance.id'] = opts.serviceInstanceId;
  if (opts.serviceVersion !== undefined) attributes[ATTR_SERVICE_VERSION] = opts.serviceVersion;
  const resource = resourceFromAttributes(attributes);

  const spanProcessors: SpanProcessor[] = [];
  if (opts.spanExporter) {
    // In-memory/test exporters want spans visible as soon as they end.
    const simple = opts.spanExporter instanceof InMemorySpanExporter;
    spanProcessors.push(simple ? new SimpleSpanProcessor(opts.spanExporter) : new BatchSpanProcessor(opts.spanExporter));
  } else {
    for (const exporter of tracesExportersFromEnv(env)) spanProcessors.push(new BatchSpanProcessor(exporter));
  }
  const tracing = spanProcessors.length > 0;
  // Nothing exports: spans would be built only to be dropped, and the AsyncLocalStorage context
  // manager would run promise hooks on every promise of the process. A no-op tracer (not tied to
  // the global provider) and no context manager cost nothing per request.
  const tracerProvider = tracing ? new BasicTracerProvider({ resource, spanProcessors, sampler: samplerFromEnv(env) }) : undefined;

  // Register globals only when free: a second telemetry in one process (tests) reuses them.
  let ownsContext = false;
  let ownsPropagation = false;
  let ownsTrace = false;
  if (tracerProvider) {
    const contextManager = new AsyncLocalStorageContextManager();
    ownsContext = context.setGlobalContextManager(contextManager.enable());
    if (!ownsContext) contextManager.disable();
    ownsPropagation = propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    ownsTrace = trace.setGlobalTracerProvider(tracerProvider);
  }

  const liveGauges = new LiveGauges();
  let endpoint: MetricsEndpoint | undefined;
  let metricsPort = 0;
  if (opts.metricsPort && opts.metricsPort > 0) {
    endpoint = new MetricsEndpoint(liveGauges);
    try {
      await endpoint.listen(opts.metricsPort, opts.metricsHost ?? '127.0.0.1');
    } catch (err) {
      await tracerProvider?.shutdown();
      if (ownsTrace) trace.disable();
      if (ownsPropagation) propagation.disable();
      if (ownsContext) context.disable();
      throw new Error(`cannot start metrics endpoint on port ${opts.metricsPort}: ${(err as Error).message}`);
    }
    metricsPort = opts.metricsPort;
  }
  const meterProvider = new MeterProvider({ resource, readers: endpoint ? [endpoint.reader] : [], views: highCardinalityViews() });
  const ownsMetrics = metrics.setGlobalMeterProvider(meterProvider);
  const meter = meterProvider.getMeter(INSTRUMENTATION_SCOPE);
  const stopEventLoopMetrics = endpoint ? eventLoopMetrics(meter) : () => undefined;

  let stopped: Promise<void> | undefined;
  return {
    // Use our own providers directly so each instance works even when the globals belong to another.
    tracer: tracerProvider ? tracerProvider.getTracer(INSTRUMENTATION_SCOPE) : new ProxyTracerProvider().getTracer(INSTRUMENTATION_SCOPE),
    tracing,
    meter,
    liveGauges,
    metricsPort,
    shutdown() {
      stopped ??= (async () => {
        stopEventLoopMetrics();
        await endpoint?.close();
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<void>((resolve) => {
          timer = setTimeout(resolve, opts.shutdownTimeoutMs ?? 2_000);
        });
        const flushed = Promise.allSettled([tracerProvider?.shutdown(), meterProvider.shutdown()]);
        const results = (await Promise.race([flushed, timeout])) ?? [];
        clearTimeout(timer);
        if (results.length === 0) diag.warn('telemetry shutdown timed out; unexported spans dropped');
        if (ownsTrace) trace.disable();
        if (ownsMetrics) metrics.disable();
        if (ownsPropagation) propagation.disable();
        if (ownsContext) context.disable();
        for (const r of results) if (r.status === 'rejected') diag.warn('telemetry shutdown failed', r.reason);
      })();
      return stopped;
    },
  };
}

/**
 * Series per metric allowed for metrics labelled by partition or consumer group. The SDK's
 * default (2000 per instrument) would fold a large cluster's partitions into one overflow series;
 * these metrics are meant to list every partition and group.
 */
export const PARTITION_METRIC_CARDINALITY_LIMIT = 1_000_000;

function highCardinalityViews(): ViewOptions[] {
  return Object.values(MetricCatalogue)
    .filter((spec) => spec.labels.includes('partition') || spec.labels.includes('consumergroup'))
    .map((spec) => ({ instrumentName: spec.name, aggregationCardinalityLimit: PARTITION_METRIC_CARDINALITY_LIMIT }));
}

/** Mirrors the OTel SDK's env contract for traces, limited to exporters we ship. */
export function tracesExportersFromEnv(env: NodeJS.ProcessEnv): SpanExporter[] {
  const listed = (env.OTEL_TRACES_EXPORTER ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s.length > 0);
  const hasEndpoint = Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  // Unlike the SDK we do not default to OTLP: without an endpoint, exporting would only produce
  // connection errors on developer machines.
  const names = listed.length > 0 ? listed : hasEndpoint ? ['otlp'] : [];
  if (names.includes('none')) return [];
  const out: SpanExporter[] = [];
  for (const name of new Set(names)) {
    if (name === 'otlp') {
      // Loaded lazily: the exporter pulls in HTTP/protobuf machinery most runs do not need.
      const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http');
      out.push(new OTLPTraceExporter());
    } else if (name === 'console') {
      out.push(new ConsoleSpanExporter());
    } else {
      diag.warn(`OTEL_TRACES_EXPORTER: unsupported exporter '${name}' ignored`);
    }
  }
  return out;
}

const recordGetter: TextMapGetter<Record<string, string | string[] | undefined>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => {
    const v = carrier[key] ?? carrier[key.toLowerCase()];
    return Array.isArray(v) ? v[0] : v;
  },
};

/** The W3C headers (traceparent, tracestate) of the given or active context, for gRPC metadata or a proto map. */
export function injectTraceContext(ctx: Context = context.active()): Record<string, string> {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier;
}

/** A context whose remote parent is the span described by the carrier (unchanged if it has none). */
export function extractTraceContext(
  carrier: Record<string, string | string[] | undefined> | undefined | null,
  base: Context = context.active(),
): Context {
  if (!carrier) return base;
  return propagation.extract(base, carrier, recordGetter);
}
