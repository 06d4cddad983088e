import type { ServerDuplexStream, UntypedServiceImplementation } from '@grpc/grpc-js';
import {
  bindServer,
  createClient,
  createGrpcServer,
  stopServer,
  StorageServiceClient,
  StorageServiceService,
  StreamMux,
  type ProduceRequest,
  type ProduceResponse,
} from '@dms/rpc';
import { coalescingProduce } from './produce-channel';

/** A broker of an older version: it serves Produce but has no ProduceBatch. */
async function olderBroker(seen: ProduceRequest[]) {
  const server = createGrpcServer();
  server.addService(StorageServiceService, {
    produce: (call: ServerDuplexStream<ProduceRequest, ProduceResponse>) => {
      call.on('data', (req: ProduceRequest) => {
        seen.push(req);
        call.write({ correlationId: req.correlationId, partitions: req.partitions.map((p) => ({ topic: p.topic, partition: p.partition, errorCode: 0, errorMessage: '', baseOffset: 5n, logAppendTimeMs: -1n, logStartOffset: 0n, recordErrors: [], appended: false })) });
      });
      call.on('end', () => call.end());
    },
  } as unknown as UntypedServiceImplementation);
  const port = await bindServer(server, '127.0.0.1', 0);
  return { server, port };
}

describe('coalescingProduce', () => {
  it('falls back to the Produce stream when the broker does not know ProduceBatch', async () => {
    const seen: ProduceRequest[] = [];
    const { server, port } = await olderBroker(seen);
    const client = createClient(StorageServiceClient, `127.0.0.1:${port}`);
    const plain = new StreamMux<ProduceRequest, ProduceResponse>(() => client.produce());
    const channel = coalescingProduce(() => client.produceBatch(), plain, 'broker 1 produce');
    try {
      const body = { acks: 1, timeoutMs: 1_000, partitions: [{ topic: 't', partition: 0, records: Buffer.from('x') }], traceContext: {} };
      const [a, b] = await Promise.all([channel.request(body, { timeoutMs: 5_000 }), channel.request(body, { timeoutMs: 5_000 })]);
      expect([a.partitions[0]!.baseOffset, b.partitions[0]!.baseOffset]).toEqual([5n, 5n]);
      expect(seen).toHaveLength(2); // each sent once, on Produce
      await channel.request(body, { timeoutMs: 5_000 });
      expect(seen).toHaveLength(3);
    } finally {
      channel.close();
      plain.close();
      client.close();
      await stopServer(server, 1_000);
    }
  });
});
