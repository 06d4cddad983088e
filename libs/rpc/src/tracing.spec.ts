import { context, ROOT_CONTEXT, SpanKind, trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { startTelemetry, type Telemetry } from '@dms/platform';
import type { handleUnaryCall } from '@grpc/grpc-js';
import type { ListOffsetsRequest, ListOffsetsResponse } from './generated/dms/storage/v1/storage';
import { unary } from './client';
import { contextFrom, spanForMessage, traceContextOf, traced } from './tracing';
import { startTestStorage, type TestStorage } from './test-server';
import { kafkaErrorCodeFromGrpc } from './status';

describe('tracing over gRPC', () => {
  let telemetry: Telemetry;
  let exporter: InMemorySpanExporter;
  let storage: TestStorage;
  let seenTraceIdInHandler = '';

  beforeAll(async () => {
    exporter = new InMemorySpanExporter();
    telemetry = await startTelemetry({ serviceName: 'test', spanExporter: exporter });
    const listOffsets: handleUnaryCall<ListOffsetsRequest, ListOffsetsResponse> = (call, callback) => {
      seenTraceIdInHandler = trace.getActiveSpan()?.spanContext().traceId ?? '';
      if (call.request.partitions[0]?.topic === 'throw') throw new Error('handler bug');
      callback(null, {
        partitions: call.request.partitions.map((p) => ({
          topic: p.topic,
          partition: p.partition,
          errorCode: 0,
          timestamp: -1n,
          offset: 42n,
          leaderEpoch: 0,
        })),
      });
    };
    storage = await startTestStorage(traced({ listOffsets }, telemetry.tracer), { client: { tracer: telemetry.tracer } });
  });
  afterAll(async () => {
    await storage.stop();
    await telemetry.shutdown();
  });
  beforeEach(() => exporter.reset());

  const call = (topic: string) =>
    unary(storage.client.listOffsets.bind(storage.client), {
      isolationLevel: 0,
      partitions: [{ topic, partition: 0, timestamp: -1n, currentLeaderEpoch: -1 }],
      traceContext: {},
    }, { timeoutMs: 5000 });

  it('parents the server span on the client span, inside the caller trace', async () => {
    const parent = telemetry.tracer.startSpan('kafka.produce');
    const res = await context.with(trace.setSpan(context.active(), parent), () => call('t'));
    parent.end();
    expect(res.partitions[0].offset).toBe(42n);

    const spans = exporter.getFinishedSpans();
    const server = spans.find((s) => s.kind === SpanKind.SERVER)!;
    const client = spans.find((s) => s.kind === SpanKind.CLIENT)!;
    expect(server.name).toBe('dms.storage.v1.StorageService/ListOffsets');
    expect(server.attributes['rpc.method']).toBe('ListOffsets');
    expect(server.attributes['rpc.grpc.status_code']).toBe(0);
    expect(server.parentSpanContext?.spanId).toBe(client.spanContext().spanId);
    expect(client.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(server.spanContext().traceId).toBe(parent.spanContext().traceId);
    expect(seenTraceIdInHandler).toBe(parent.spanContext().traceId);
  });

  it('turns a throwing handler into INTERNAL and an errored span, without crashing', async () => {
    const err = await call('throw').catch((e: unknown) => e);
    expect((err as { code: number }).code).toBe(13);
    expect(kafkaErrorCodeFromGrpc(err)).toBe(-1);
    const server = exporter.getFinishedSpans().find((s) => s.kind === SpanKind.SERVER)!;
    expect(server.status.code).toBe(2); // ERROR
    expect(server.events.some((e) => e.name === 'exception')).toBe(true);
  });

  it('spanForMessage parents a span on a message trace_context map', async () => {
    const parent = telemetry.tracer.startSpan('gateway');
    const map = traceContextOf(trace.setSpan(context.active(), parent));
    parent.end();
    const inner = await spanForMessage(telemetry.tracer, 'broker.produce', map, async (span) => {
      await new Promise((r) => setTimeout(r, 1));
      expect(trace.getActiveSpan()).toBe(span);
      return span.spanContext();
    });
    const s = exporter.getFinishedSpans().find((x) => x.name === 'broker.produce')!;
    expect(s.spanContext().spanId).toBe(inner.spanId);
    expect(s.parentSpanContext?.spanId).toBe(parent.spanContext().spanId);
    expect(s.spanContext().traceId).toBe(parent.spanContext().traceId);
  });

  it('has nothing to inject or extract when no span is in the context', () => {
    expect(traceContextOf(ROOT_CONTEXT)).toEqual({});
    expect(contextFrom({}, ROOT_CONTEXT)).toBe(ROOT_CONTEXT);
    expect(contextFrom({ tracestate: 'a=b' }, ROOT_CONTEXT)).toBe(ROOT_CONTEXT);
    const parent = telemetry.tracer.startSpan('p');
    const map = traceContextOf(trace.setSpan(ROOT_CONTEXT, parent));
    parent.end();
    expect(trace.getSpanContext(contextFrom(map, ROOT_CONTEXT))?.spanId).toBe(parent.spanContext().spanId);
  });
});
