import type { ServerDuplexStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import {
  bindServer,
  createClient,
  createGrpcServer,
  stopServer,
  StorageServiceClient,
  StorageServiceService,
  StreamMux,
  type ProduceBatchRequest,
  type ProduceBatchResponse,
  type ProduceRequest,
  type ProduceResponse,
} from '@dms/rpc';
import { ErrorCode } from '@dms/kafka-errors';
import { serveProduceBatch } from './produce-batch-stream';

const ok = (req: ProduceRequest): ProduceResponse => ({
  correlationId: req.correlationId,
  partitions: req.partitions.map((p) => ({
    topic: p.topic, partition: p.partition, errorCode: 0, errorMessage: '', baseOffset: BigInt(p.records.length),
    logAppendTimeMs: -1n, logStartOffset: 0n, recordErrors: [], appended: false,
  })),
});

describe('serveProduceBatch over a real gRPC stream', () => {
  const handled: ProduceRequest[] = [];
  const errors: unknown[] = [];
  let messagesReceived = 0;
  let server: ReturnType<typeof createGrpcServer>;
  let client: StorageServiceClient;
  let mux: StreamMux<ProduceRequest, ProduceResponse, ProduceBatchRequest, ProduceBatchResponse>;

  beforeAll(async () => {
    // acks=-1 waits 1 s (an ISR wait), acks=1 answers at once, topic "boom" makes the handler reject.
    const handle = async (req: ProduceRequest) => {
      handled.push(req);
      if (req.partitions[0]?.topic === 'boom') throw new Error('disk on fire');
      if (req.acks === -1) await new Promise((r) => setTimeout(r, 1_000));
      return ok(req);
    };
    server = createGrpcServer();
    server.addService(StorageServiceService, {
      produceBatch: (call: ServerDuplexStream<ProduceBatchRequest, ProduceBatchResponse>) => serveProduceBatch(call, handle, { error: (o: unknown) => errors.push(o) }),
    } as unknown as UntypedServiceImplementation);
    const port = await bindServer(server, '127.0.0.1', 0);
    client = createClient(StorageServiceClient, `127.0.0.1:${port}`);
  });
  afterAll(async () => {
    client.close();
    await stopServer(server, 1_000);
  });
  beforeEach(() => {
    handled.length = 0;
    errors.length = 0;
    messagesReceived = 0;
    mux = new StreamMux(() => client.produceBatch(), {
      requestTimeoutMs: 10_000,
      coalesce: {
        pack: (requests) => ({ requests }),
        unpack: (m) => {
          messagesReceived++;
          return m.responses;
        },
      },
    });
  });
  afterEach(() => mux.close());

  const produce = (topic: string, bytes: number, acks: number): Omit<ProduceRequest, 'correlationId'> => ({
    acks, timeoutMs: 5_000, partitions: [{ topic, partition: 0, records: Buffer.alloc(bytes) }], traceContext: {},
  });

  it('handles the requests of a message in order and answers those done in one turn together', async () => {
    const sizes = Array.from({ length: 40 }, (_, i) => i + 1);
    const res = await Promise.all(sizes.map((n) => mux.request(produce('t', n, 1))));
    expect(res.map((r) => Number(r.partitions[0]!.baseOffset))).toEqual(sizes);
    expect(handled.map((r) => r.partitions[0]!.records.length)).toEqual(sizes);
    // The first went and came back alone (nothing else in progress); the other 39 shared one answer.
    expect(messagesReceived).toBe(2);
  });

  it('answers acks=1 requests at once while acks=all ones of the same message wait', async () => {
    const started = Date.now();
    const all = mux.request(produce('t', 1, -1));
    const one = await mux.request(produce('t', 2, 1));
    expect(one.partitions[0]!.baseOffset).toBe(2n);
    expect(Date.now() - started).toBeLessThan(800);
    expect((await all).partitions[0]!.baseOffset).toBe(1n);
    expect(handled).toHaveLength(2);
  });

  it('answers a request whose handling fails with UNKNOWN_SERVER_ERROR instead of leaving it to time out', async () => {
    const started = Date.now();
    const [bad, good] = await Promise.all([mux.request(produce('boom', 1, 1)), mux.request(produce('t', 3, 1))]);
    expect(bad.partitions[0]).toMatchObject({ topic: 'boom', errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: 'disk on fire', appended: false });
    expect(good.partitions[0]!.baseOffset).toBe(3n);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(errors).toHaveLength(1);
  });
});
