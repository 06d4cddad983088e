// WriteTxnMarkers on real partition logs: a marker is appended on the leader, answered once the
// ISR has it and then reported to the hook; refusals carry Kafka's codes.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRecordBatch } from '@dms/kafka-codec';
import { ErrorCode } from '@dms/kafka-errors';
import { PartitionLog } from '@dms/log';
import { createLogger } from '@dms/platform';
import { LeaderState } from '@dms/replication';
import { PartitionReplica } from './partition-replica';
import { type TxnMarkerWritten, writeTxnMarkers } from './txn-marker-writer';

let dir: string;
beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'dms-markers-'))));
afterEach(() => rm(dir, { recursive: true, force: true }));

const logger = createLogger({ service: 'spec', id: 0, level: 'silent' });

async function leader(topic: string, configs: Record<string, string> = {}) {
  const log = await PartitionLog.open(join(dir, `${topic}-0`));
  const r = new PartitionReplica(topic, 0, topic, log, configs);
  r.role = 'leader';
  r.leaderId = 1;
  r.leaderEpoch = 0;
  r.leader = new LeaderState({ leaderId: 1, leaderEpoch: 0, epochStartOffset: 0n, replicas: [1], isr: [1], partitionEpoch: 0, highWatermark: 0n, nowMs: Date.now() });
  return r;
}

describe('writeTxnMarkers', () => {
  it('appends markers on leaders, reports them once replicated, and refuses with Kafka codes', async () => {
    const t = await leader('t');
    const strict = await leader('strict', { 'min.insync.replicas': '2' });
    await t.log.append(await buildRecordBatch({ producerId: 4n, producerEpoch: 1, baseSequence: 0, transactional: true, records: [{ value: 'x' }] }), { leaderEpoch: 0 });
    t.onLocalAppend();
    const replicas = {
      get: async (topic: string) => (topic === 't' ? t : topic === 'strict' ? strict : undefined),
      hasTopic: (topic: string) => topic !== 'nope',
      leaderNow: (topic: string) => (topic === 't' ? t : topic === 'strict' ? strict : undefined),
    };
    const seen: TxnMarkerWritten[] = [];
    const res = await writeTxnMarkers({ replicas, logger, now: () => 5n, onTxnMarker: (m) => seen.push(m) }, {
      markers: [
        { producerId: 4n, producerEpoch: 1, committed: false, coordinatorEpoch: 2, partitions: [{ topic: 't', partition: 0 }, { topic: 'nope', partition: 0 }, { topic: 'other', partition: 0 }, { topic: 'strict', partition: 0 }] },
        { producerId: 4n, producerEpoch: 0, committed: true, coordinatorEpoch: 2, partitions: [{ topic: 't', partition: 0 }] },
      ],
      timeoutMs: 5000,
      traceContext: {},
    });
    expect(res.markers.map((m) => m.partitions.map((p) => [p.topic, p.errorCode]))).toEqual([
      [['t', ErrorCode.NONE], ['nope', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION], ['other', ErrorCode.NOT_LEADER_OR_FOLLOWER], ['strict', ErrorCode.NOT_ENOUGH_REPLICAS]],
      [['t', ErrorCode.INVALID_PRODUCER_EPOCH]],
    ]);
    expect(seen).toEqual([{ topic: 't', partition: 0, producerId: 4n, producerEpoch: 1, committed: false, offset: 1n }]);
    expect(t.highWatermark).toBe(2n);
    expect(t.log.abortedTransactions(0n, 2n)).toEqual([{ producerId: 4n, firstOffset: 0n, lastOffset: 1n, lastStableOffset: 2n }]);
    await t.log.close();
    await strict.log.close();
  });
});
