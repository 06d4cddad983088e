// Producer id expiration over real partition logs: producers idle past producer.id.expiration.ms
// (read at each check) leave the state unless a transaction of theirs is open; a producer that
// comes back after expiry with a sequence other than 0 is unknown.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRecordBatch } from '@dms/kafka-codec';
import { LogError, PartitionLog } from '@dms/log';
import { createLogger } from '@dms/platform';
import { PartitionReplica } from './partition-replica';
import { ProducerExpiry } from './producer-expiry';

let dir: string;
beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'dms-expiry-'))));
afterEach(() => rm(dir, { recursive: true, force: true }));

const logger = createLogger({ service: 'spec', id: 0, level: 'silent' });
const T0 = 1_700_000_000_000;

const batch = (pid: bigint, seq: number, timestamp: number, transactional = false) =>
  buildRecordBatch({ producerId: pid, producerEpoch: 0, baseSequence: seq, transactional, records: [{ value: 'v', timestamp: BigInt(timestamp) }] });

describe('ProducerExpiry', () => {
  it('removes idle producers without an open transaction, after the dynamic expiration', async () => {
    const log = await PartitionLog.open(join(dir, 't-0'));
    const r = new PartitionReplica('t', 0, 't', log, {});
    await log.append(await batch(1n, 0, T0), { leaderEpoch: 0 });
    await log.append(await batch(2n, 0, T0, true), { leaderEpoch: 0 });
    await log.append(await batch(3n, 0, T0 + 50_000), { leaderEpoch: 0 });
    let expiration: string | null = null;
    const expiry = new ProducerExpiry({ replicas: { all: () => [r].values(), brokerConfig: () => expiration }, checkIntervalMs: 1000, logger });

    // Default: one day.
    expect(expiry.check(T0 + 60_000)).toBe(0);
    expiration = '30000';
    expect(expiry.check(T0 + 60_000)).toBe(1);
    expect([...log.producers.entries()].map((e) => e.producerId).sort()).toEqual([2n, 3n]);

    const err = await log.append(await batch(1n, 1, T0 + 60_000), { leaderEpoch: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LogError);
    expect((err as LogError).kind).toBe('unknown-producer-id');
    await log.close();
  });
});
