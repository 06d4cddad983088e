import type { ServerDuplexStream } from '@grpc/grpc-js';
import { context, trace } from '@opentelemetry/api';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { startTelemetry } from '@dms/platform';
import type { ProduceRequest, ProduceResponse } from './generated/dms/storage/v1/storage';
import { StreamMux } from './stream-mux';
import { kafkaErrorCodeFromGrpc, isRetriableGrpc } from './status';
import { startTestStorage, type TestStorage } from './test-server';

type Produce = ServerDuplexStream<ProduceRequest, ProduceResponse>;

/**
 * Echo broker: answers in reverse order of arrival, in batches (so responses are out of order),
 * never answers topic "drop", and fails the whole stream on topic "fail".
 */
function echoProduce(streamsOpened: { count: number }) {
  return (call: Produce) => {
    streamsOpened.count++;
    let batch: ProduceRequest[] = [];
    let timer: NodeJS.Timeout | undefined;
    const flush = () => {
      timer = undefined;
      const out = batch.reverse();
      batch = [];
      for (const req of out) {
        call.write({
          correlationId: req.correlationId,
          partitions: req.partitions.map((p) => ({
            topic: p.topic,
            partition: p.partition,
            errorCode: 0,
            errorMessage: '',
            baseOffset: BigInt(p.records.length),
            logAppendTimeMs: -1n,
            logStartOffset: 0n,
            recordErrors: [],
            appended: false,
          })),
        });
      }
    };
    call.on('data', (req: ProduceRequest) => {
      const topic = req.partitions[0]?.topic;
      if (topic === 'drop') return;
      if (topic === 'fail') {
        call.emit('error', { code: 14, details: 'broker going away' });
        return;
      }
      batch.push(req);
      timer ??= setTimeout(flush, 2);
    });
    call.on('end', () => call.end());
    call.on('error', () => undefined);
  };
}

function produce(topic: string, bytes = 10): Omit<ProduceRequest, 'correlationId'> {
  return { acks: -1, timeoutMs: 1000, partitions: [{ topic, partition: 0, records: Buffer.alloc(bytes, 1) }], traceContext: {} };
}

describe('StreamMux over a real Produce stream', () => {
  let storage: TestStorage;
  const streamsOpened = { count: 0 };
  let mux: StreamMux<ProduceRequest, ProduceResponse>;

  beforeAll(async () => {
    storage = await startTestStorage({ produce: echoProduce(streamsOpened) });
  });
  afterAll(() => storage.stop());
  beforeEach(() => {
    streamsOpened.count = 0;
    mux = new StreamMux(() => storage.client.produce(), { requestTimeoutMs: 5000, name: 'broker 1 produce' });
  });
  afterEach(() => mux.close());

  it('matches 1000 concurrent requests to out-of-order responses on one stream', async () => {
    // Sizes differ per request so each response proves it answers its own request; 16 KiB
    // payloads (16 MB in total) also exercise write backpressure.
    const sizes = Array.from({ length: 1000 }, (_, i) => 16 * 1024 + i);
    const responses = await Promise.all(sizes.map((n) => mux.request(produce('t', n))));
    responses.forEach((res, i) => expect(res.partitions[0].baseOffset).toBe(BigInt(sizes[i])));
    expect(new Set(responses.map((r) => r.correlationId)).size).toBe(1000);
    expect(streamsOpened.count).toBe(1);
    expect(mux.inFlight).toBe(0);
  }, 30_000);

  it('names the correlation id a request travels with (so a later request can refer to it)', async () => {
    const a = mux.requestWithId(produce('t', 11));
    const b = mux.requestWithId(produce('t', 12));
    expect(b.correlationId).toBeGreaterThan(a.correlationId);
    const [ra, rb] = await Promise.all([a.response, b.response]);
    expect([ra.correlationId, rb.correlationId]).toEqual([a.correlationId, b.correlationId]);
    expect(rb.partitions[0].baseOffset).toBe(12n);
  });

  it('rejects in-flight requests retriably when the server fails the stream, then reopens', async () => {
    const first = await mux.request(produce('t'));
    const stuck = mux.request(produce('drop'));
    const failing = mux.request(produce('fail'));
    for (const p of [stuck, failing]) {
      const err = await p.catch((e: unknown) => e);
      expect((err as { code: number }).code).toBe(14);
      expect(isRetriableGrpc(err)).toBe(true);
      expect(kafkaErrorCodeFromGrpc(err)).toBe(6); // NOT_LEADER_OR_FOLLOWER
    }
    const after = await mux.request(produce('t', 7));
    expect(after.partitions[0].baseOffset).toBe(7n);
    expect(after.correlationId).toBeGreaterThan(first.correlationId);
    expect(streamsOpened.count).toBe(2);
  });

  it('times out one request without disturbing the others', async () => {
    const lost = mux.request(produce('drop'), { timeoutMs: 100 });
    const ok = mux.request(produce('t', 3));
    const err = await lost.catch((e: unknown) => e);
    expect((err as { code: number }).code).toBe(4); // DEADLINE_EXCEEDED
    expect(kafkaErrorCodeFromGrpc(err)).toBe(7); // REQUEST_TIMED_OUT
    expect((await ok).partitions[0].baseOffset).toBe(3n);
    expect(mux.inFlight).toBe(0);
    expect(streamsOpened.count).toBe(1);
  });

  it('abandons what is in flight on the same stream; a late answer is dropped and the next request is answered', async () => {
    const stuck = mux.request(produce('drop'));
    const answeredLater = mux.request(produce('t', 5));
    expect(mux.abandonPending('new partitions to fetch')).toBe(2);
    for (const p of [stuck, answeredLater]) await expect(p).rejects.toMatchObject({ code: 1, details: expect.stringContaining('new partitions to fetch') });
    expect(mux.inFlight).toBe(0);
    expect(mux.abandonPending('nothing')).toBe(0);
    const next = await mux.request(produce('t', 9));
    expect(next.partitions[0].baseOffset).toBe(9n);
    expect(streamsOpened.count).toBe(1);
  });

  it('fails requests when the broker is unreachable and refuses after close', async () => {
    const dead = await startTestStorage({});
    const address = `127.0.0.1:${dead.port}`;
    await dead.stop();
    const { StorageServiceClient } = await import('./generated/dms/storage/v1/storage');
    const { createClient } = await import('./client');
    const client = createClient(StorageServiceClient, address);
    const m = new StreamMux<ProduceRequest, ProduceResponse>(() => client.produce(), { requestTimeoutMs: 5000 });
    const err = await m.request(produce('t')).catch((e: unknown) => e);
    expect(isRetriableGrpc(err)).toBe(true);
    m.close();
    await expect(m.request(produce('t'))).rejects.toMatchObject({ code: 1 });
    client.close();
  });

  it('fills an empty traceContext from the active span and keeps a supplied one', async () => {
    const telemetry = await startTelemetry({ serviceName: 'gw', spanExporter: new InMemorySpanExporter() });
    const seen: Record<string, string>[] = [];
    const spy = new StreamMux<ProduceRequest, ProduceResponse>(() => {
      const s = storage.client.produce();
      const write = s.write.bind(s);
      s.write = ((req: ProduceRequest, ...rest: unknown[]) => {
        seen.push(req.traceContext);
        return (write as (...a: unknown[]) => boolean)(req, ...rest);
      }) as typeof s.write;
      return s;
    });
    await spy.request({ ...produce('t'), traceContext: { traceparent: 'x' } });
    const span = telemetry.tracer.startSpan('kafka.produce');
    await context.with(trace.setSpan(context.active(), span), () => spy.request(produce('t')));
    span.end();
    expect(seen[0]).toEqual({ traceparent: 'x' });
    expect(seen[1].traceparent).toBe(`00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`);
    spy.close();
    await telemetry.shutdown();
  });
});

describe('StreamMux deadlines', () => {
  it('arms one deadline timer for many requests, and still times out the unanswered one', async () => {
    const storage = await startTestStorage({ produce: echoProduce({ count: 0 }) });
    const mux = new StreamMux<ProduceRequest, ProduceResponse>(() => storage.client.produce(), { requestTimeoutMs: 400 });
    try {
      await mux.request(produce('t')); // stream open before counting timers
      const spy = jest.spyOn(global, 'setTimeout');
      const answered = Array.from({ length: 200 }, () => mux.request(produce('t')));
      const lost = mux.request(produce('drop'));
      const armedByMux = spy.mock.calls.filter(([, ms]) => typeof ms === 'number' && ms >= 300).length;
      spy.mockRestore();
      expect(armedByMux).toBe(1);
      await Promise.all(answered);
      const started = Date.now();
      const err = await lost.catch((e: unknown) => e);
      expect((err as { code: number }).code).toBe(4);
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(mux.inFlight).toBe(0);
    } finally {
      mux.close();
      await storage.stop();
    }
  });
});
