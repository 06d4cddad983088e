import { buildRecordBatch } from '@dms/kafka-codec';
import { ErrorCode } from '@dms/kafka-errors';
import type { ClusterPort } from '@dms/kafka-handlers';
import type { ProducePartitionResult, ProduceRequest } from '@dms/rpc';
import type { BrokerClients } from './broker-clients';
import { GatewayStoragePort } from './storage-port';

/** A topic whose single partition is led by `leader.id`, and brokers answering from a script. */
function setup(answers: Record<number, (req: ProduceRequest) => Partial<ProducePartitionResult>>) {
  const leader = { id: 1 };
  const calls: number[] = [];
  const cluster = {
    topic: (name: string) => (name === 't' ? { partitions: [{ storageLeader: leader.id }] } : undefined),
  } as unknown as ClusterPort;
  const brokers = {
    isLive: (id: number) => id in answers,
    get: (id: number) => ({
      produceChannel: {
        request: async (req: ProduceRequest) => {
          calls.push(id);
          const answer = answers[id](req);
          // Leadership moved on (a storage error: the controller moves it off the failed log dir).
          if (answer.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER || answer.errorCode === ErrorCode.KAFKA_STORAGE_ERROR) leader.id = 2;
          const base = { topic: 't', partition: 0, errorCode: ErrorCode.NONE, errorMessage: '', baseOffset: 7n, logAppendTimeMs: -1n, logStartOffset: 0n, recordErrors: [], appended: false };
          return { correlationId: req.correlationId, partitions: [{ ...base, ...answer }] };
        },
      },
    }),
  } as unknown as BrokerClients;
  return { port: new GatewayStoragePort(cluster, brokers), calls };
}

const batch = [{ topic: 't', partition: 0, records: Buffer.from('batch') }];

describe('GatewayStoragePort.produce after a leader move', () => {
  it('resends to the new leader a batch the old leader refused before appending', async () => {
    const { port, calls } = setup({
      1: () => ({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER }),
      2: () => ({ baseOffset: 42n }),
    });
    const [out] = await port.produce(-1, 5_000, batch);
    expect(calls).toEqual([1, 2]);
    expect(out).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 42n });
  });

  it('leaves a batch the old leader had already appended to the client, never doubling it', async () => {
    const { port, calls } = setup({
      1: () => ({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, appended: true }),
      2: () => ({ baseOffset: 42n }),
    });
    const [out] = await port.produce(-1, 5_000, batch);
    expect(calls).toEqual([1]);
    expect(out.errorCode).toBe(ErrorCode.NOT_LEADER_OR_FOLLOWER);
  });

  it('resends an idempotent batch the old leader had appended: the new leader deduplicates it', async () => {
    const { port, calls } = setup({
      1: () => ({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, appended: true }),
      2: () => ({ baseOffset: 42n }),
    });
    const records = await buildRecordBatch({ producerId: 9n, producerEpoch: 0, baseSequence: 0, records: [{ value: 'v' }] });
    const [out] = await port.produce(-1, 5_000, [{ topic: 't', partition: 0, records }]);
    expect(calls).toEqual([1, 2]);
    expect(out).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 42n });
  });

  it('resends to the new leader a batch refused with KAFKA_STORAGE_ERROR (its log dir failed before appending)', async () => {
    const { port, calls } = setup({
      1: () => ({ errorCode: ErrorCode.KAFKA_STORAGE_ERROR }),
      2: () => ({ baseOffset: 42n }),
    });
    const [out] = await port.produce(-1, 5_000, batch);
    expect(calls).toEqual([1, 2]);
    expect(out).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 42n });
  });

  it('leaves to the client a plain batch whose leader failed with KAFKA_STORAGE_ERROR after appending it', async () => {
    const { port, calls } = setup({
      1: () => ({ errorCode: ErrorCode.KAFKA_STORAGE_ERROR, appended: true }),
      2: () => ({ baseOffset: 42n }),
    });
    const [out] = await port.produce(-1, 5_000, batch);
    expect(calls).toEqual([1]);
    expect(out.errorCode).toBe(ErrorCode.KAFKA_STORAGE_ERROR);
  });
});

describe('GatewayStoragePort.produce routing', () => {
  /** Topic 'm': partition 0 led by broker 1, partition 1 by broker 2; broker 3 refuses every request. */
  function routed(leaders = [1, 2]) {
    const calls: Array<{ broker: number; partitions: number[] }> = [];
    const cluster = { topic: (name: string) => (name === 'm' ? { partitions: leaders.map((storageLeader) => ({ storageLeader })) } : undefined) } as unknown as ClusterPort;
    const brokers = {
      isLive: () => true,
      get: (id: number) => ({
        produceChannel: {
          request: async (req: ProduceRequest) => {
            calls.push({ broker: id, partitions: req.partitions.map((p) => p.partition) });
            if (id === 3) throw new Error('stream closed');
            // Answers in reverse order: the port matches them by partition.
            return {
              correlationId: req.correlationId,
              partitions: [...req.partitions].reverse().map((p) => ({
                topic: p.topic, partition: p.partition, errorCode: ErrorCode.NONE, errorMessage: '', baseOffset: BigInt(100 * id + p.partition),
                logAppendTimeMs: -1n, logStartOffset: 0n, recordErrors: [], appended: true,
              })),
            };
          },
        },
      }),
    } as unknown as BrokerClients;
    return { port: new GatewayStoragePort(cluster, brokers), calls };
  }
  const part = (partition: number) => ({ topic: 'm', partition, records: Buffer.from('batch') });

  it('sends partitions led by one broker as one request and answers in the order asked', async () => {
    const { port, calls } = routed([1, 1]);
    const out = await port.produce(-1, 5_000, [part(1), part(0)]);
    expect(calls).toEqual([{ broker: 1, partitions: [1, 0] }]);
    expect(out.map((o) => [o.partition, o.baseOffset])).toEqual([[1, 101n], [0, 100n]]);
  });

  it('splits partitions led by different brokers and merges their answers in the order asked', async () => {
    const { port, calls } = routed();
    const out = await port.produce(-1, 5_000, [part(1), part(0)]);
    expect(calls.sort((a, b) => a.broker - b.broker)).toEqual([{ broker: 1, partitions: [0] }, { broker: 2, partitions: [1] }]);
    expect(out.map((o) => [o.partition, o.errorCode, o.baseOffset])).toEqual([[1, ErrorCode.NONE, 201n], [0, ErrorCode.NONE, 100n]]);
  });

  it('answers NOT_LEADER_OR_FOLLOWER for every partition of a request its leader failed to answer', async () => {
    const { port } = routed([3, 3]);
    const out = await port.produce(-1, 5_000, [part(0), part(1)]);
    expect(out.map((o) => [o.partition, o.errorCode])).toEqual([[0, ErrorCode.NOT_LEADER_OR_FOLLOWER], [1, ErrorCode.NOT_LEADER_OR_FOLLOWER]]);
  });
});
