import type { ServerDuplexStream } from '@grpc/grpc-js';
import type { ProduceBatchRequest, ProduceBatchResponse, ProduceRequest, ProduceResponse } from './generated/dms/storage/v1/storage';
import { StreamMux } from './stream-mux';
import { isRetriableGrpc } from './status';
import { startTestStorage, type TestStorage } from './test-server';

type Batch = ServerDuplexStream<ProduceBatchRequest, ProduceBatchResponse>;

/**
 * A broker for ProduceBatch: records every message it receives; answers acks=1 at once and
 * acks=-1 after 1 s (an ISR wait), each on its own; never answers topic "drop"; fails the
 * stream on topic "fail". baseOffset echoes the record bytes so each answer proves its request.
 */
function batchBroker(seen: ProduceRequest[][]) {
  return (call: Batch) => {
    let outbox: ProduceResponse[] = [];
    const answer = (res: ProduceResponse) => {
      if (outbox.push(res) === 1) {
        setImmediate(() => {
          const responses = outbox;
          outbox = [];
          if (!call.cancelled) call.write({ responses });
        });
      }
    };
    call.on('data', (msg: ProduceBatchRequest) => {
      seen.push(msg.requests);
      for (const req of msg.requests) {
        const topic = req.partitions[0]?.topic;
        if (topic === 'drop') continue;
        if (topic === 'fail') {
          call.emit('error', { code: 14, details: 'broker going away' });
          return;
        }
        const res: ProduceResponse = {
          correlationId: req.correlationId,
          partitions: req.partitions.map((p) => ({
            topic: p.topic, partition: p.partition, errorCode: 0, errorMessage: '', baseOffset: BigInt(p.records.length),
            logAppendTimeMs: -1n, logStartOffset: 0n, recordErrors: [], appended: false,
          })),
        };
        if (req.acks === -1) setTimeout(() => answer(res), 1_000);
        else answer(res);
      }
    });
    call.on('end', () => call.end());
    call.on('error', () => undefined);
  };
}

const produce = (topic: string, bytes: number, acks = 1, partition = 0): Omit<ProduceRequest, 'correlationId'> => ({
  acks, timeoutMs: 5_000, partitions: [{ topic, partition, records: Buffer.alloc(bytes, 1) }], traceContext: {},
});

describe('StreamMux coalescing over a real ProduceBatch stream', () => {
  let storage: TestStorage;
  let seen: ProduceRequest[][];
  let mux: StreamMux<ProduceRequest, ProduceResponse, ProduceBatchRequest, ProduceBatchResponse>;

  beforeAll(async () => {
    seen = [];
    storage = await startTestStorage({ produceBatch: batchBroker(seen) });
  });
  afterAll(() => storage.stop());
  beforeEach(() => {
    seen.length = 0;
    mux = new StreamMux(() => storage.client.produceBatch(), {
      name: 'broker 1 produce',
      requestTimeoutMs: 5_000,
      coalesce: {
        pack: (requests) => ({ requests }),
        unpack: (m) => m.responses,
        maxWeight: 64 * 1024,
        weight: (r) => r.partitions.reduce((n, p) => n + p.records.length, 0),
      },
    });
  });
  afterEach(() => mux.close());

  it('sends the requests of one turn as one message, in order, and splits the answers back', async () => {
    const sizes = Array.from({ length: 50 }, (_, i) => 100 + i);
    const responses = await Promise.all(sizes.map((n, i) => mux.request(produce('t', n, 1, i % 3))));
    responses.forEach((res, i) => expect(res.partitions[0]!.baseOffset).toBe(BigInt(sizes[i]!)));
    // Nothing was in flight for the first, so it went at once (no added latency); the other 49 shared a message.
    expect(seen.map((m) => m.length)).toEqual([1, 49]);
    // Order kept: batches of one partition reach the broker in the order they were asked.
    const arrived = seen.flat();
    expect(arrived.map((r) => r.partitions[0]!.records.length)).toEqual(sizes);
    expect(arrived.map((r) => r.correlationId)).toEqual([...arrived.map((r) => r.correlationId)].sort((a, b) => (a < b ? -1 : 1)));
    expect(mux.inFlight).toBe(0);
  });

  it('sends a request at once when nothing else is in flight', async () => {
    for (const n of [1, 2, 3]) expect((await mux.request(produce('t', n))).partitions[0]!.baseOffset).toBe(BigInt(n));
    expect(seen.map((m) => m.length)).toEqual([1, 1, 1]);
  });

  it('answers an acks=1 request without waiting for an acks=all one coalesced with it', async () => {
    const first = mux.request(produce('t', 9, -1)); // in flight, so the next two share a message
    const started = Date.now();
    const all = mux.request(produce('t', 10, -1));
    const one = mux.request(produce('t', 11, 1));
    const oneRes = await one;
    const oneMs = Date.now() - started;
    expect(oneRes.partitions[0]!.baseOffset).toBe(11n);
    expect(mux.inFlight).toBe(2); // the acks=all ones are still waiting
    expect((await all).partitions[0]!.baseOffset).toBe(10n);
    expect((await first).partitions[0]!.baseOffset).toBe(9n);
    expect(seen.map((m) => m.map((r) => r.acks))).toEqual([[-1], [-1, 1]]);
    expect(oneMs).toBeLessThan(800);
  });

  it('keeps per-request timeouts inside a coalesced message', async () => {
    const first = mux.request(produce('t', 4));
    const lost = mux.request(produce('drop', 5), { timeoutMs: 100 });
    const ok = mux.request(produce('t', 6));
    const err = await lost.catch((e: unknown) => e);
    expect((err as { code: number }).code).toBe(4); // DEADLINE_EXCEEDED
    expect((await ok).partitions[0]!.baseOffset).toBe(6n);
    expect((await first).partitions[0]!.baseOffset).toBe(4n);
    expect(seen.map((m) => m.length)).toEqual([1, 2]);
  });

  it('fails every coalesced request retriably when the broker fails the stream, then reopens', async () => {
    const reqs = [mux.request(produce('t', 1, -1)), mux.request(produce('t', 2, -1)), mux.request(produce('fail', 3))];
    for (const p of reqs) {
      const err = await p.catch((e: unknown) => e);
      expect((err as { code: number }).code).toBe(14);
      expect(isRetriableGrpc(err)).toBe(true);
    }
    expect(mux.inFlight).toBe(0);
    expect((await mux.request(produce('t', 9))).partitions[0]!.baseOffset).toBe(9n);
  });

  it('sends at once when the waiting records reach the weight limit', async () => {
    const big = [mux.request(produce('t', 10)), mux.request(produce('t', 40_000)), mux.request(produce('t', 40_000)), mux.request(produce('t', 100))];
    await Promise.all(big);
    // The first alone (nothing in flight); 80 KB reach the 64 KiB limit and go at once; the rest at the turn's end.
    expect(seen.map((m) => m.map((r) => r.partitions[0]!.records.length))).toEqual([[10], [40_000, 40_000], [100]]);
  });
});
