import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRecordBatch } from '@dms/kafka-codec';
import { PartitionLog } from '@dms/log';
import type { Logger } from '@dms/platform';
import { LeaderState } from '@dms/replication';
import type { ReplicaFetchRequest } from '@dms/rpc';
import { PartitionReplica } from './partition-replica';
import { createReplicaFetchHandler } from './replica-fetch-handler';
import type { ReplicaManager } from './replica-manager';
import { BrokerReplicationQuotas } from './replication-quotas';

const logger = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined } as unknown as Logger;

/**
 * Broker 1 leads t-0 with replicas 1, 2, 3: 2 is in the ISR, 3 is catching up (being added).
 * The leader list throttles 0:1 (the leader's side), the follower list 0:3.
 */
describe('replication quotas on the leader and follower paths', () => {
  let dir: string;
  let r: PartitionReplica;
  let t = 0;
  const brokerConfigs: Record<string, string> = {};
  const isr = [1, 2];
  const broker = (id: number) => ({
    brokerId: id,
    brokerConfig: (name: string) => brokerConfigs[name] ?? null,
    on: () => undefined,
    off: () => undefined,
  }) as unknown as ReplicaManager;
  const view = { partitions: () => new Map([[0, { isr }]]) } as never;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dms-quota-'));
    const log = await PartitionLog.open(join(dir, 't-0'), {});
    r = new PartitionReplica('t', 0, 'id', log, { 'leader.replication.throttled.replicas': '0:1', 'follower.replication.throttled.replicas': '0:3' }, 1);
    r.role = 'leader';
    r.leaderId = 1;
    r.leaderEpoch = 0;
    r.leader = new LeaderState({ leaderId: 1, leaderEpoch: 0, epochStartOffset: 0n, replicas: [1, 2, 3], isr, partitionEpoch: 0, highWatermark: 0n, nowMs: Date.now() });
    await log.assignLeaderEpoch(0, 0n);
    for (let i = 0; i < 4; i++) {
      await log.append(await buildRecordBatch({ records: [{ key: `k${i}`, value: Buffer.alloc(10_000, i), timestamp: 1_700_000_000_000n }] }), { leaderEpoch: 0 });
    }
  });

  afterEach(async () => {
    await r.log.close();
    await rm(dir, { recursive: true, force: true });
    for (const k of Object.keys(brokerConfigs)) delete brokerConfigs[k];
  });

  const request = (replicaId: number): ReplicaFetchRequest => ({
    correlationId: 1n, replicaId, maxWaitMs: 0, maxBytes: 10 << 20,
    partitions: [{ topic: 't', partition: 0, fetchOffset: 0n, lastFetchedEpoch: -1, currentLeaderEpoch: 0, partitionMaxBytes: 1 << 20, logStartOffset: 0n }],
  });

  it('the leader serves an out-of-sync throttled follower nothing once the quota is exceeded, an ISR follower always', async () => {
    brokerConfigs['leader.replication.throttled.rate'] = '1000';
    const quotas = new BrokerReplicationQuotas(broker(1), view, () => t);
    const handle = createReplicaFetchHandler({ replicas: { leaderNow: () => r } as unknown as ReplicaManager, logger, quotas });
    // Under the quota: the catching-up follower is served, and the bytes count.
    const first = await handle(request(3));
    expect(first.partitions[0]!.records.length).toBeGreaterThan(40_000);
    expect(quotas.leader.isQuotaExceeded()).toBe(true);
    // Over it: nothing for broker 3, everything for broker 2 (in the ISR).
    expect((await handle(request(3))).partitions[0]!.records.length).toBe(0);
    expect((await handle(request(2))).partitions[0]!.records.length).toBe(first.partitions[0]!.records.length);
    // Once the window has passed, broker 3 is served again.
    t += 60_000;
    expect((await handle(request(3))).partitions[0]!.records.length).toBe(first.partitions[0]!.records.length);
  });

  it('never holds back without a rate, nor partitions the lists do not name for this broker', async () => {
    const unbounded = new BrokerReplicationQuotas(broker(1), view, () => t);
    unbounded.leader.record(1e12);
    expect(unbounded.shouldLeaderThrottle(r, 3)).toBe(false);
    brokerConfigs['leader.replication.throttled.rate'] = '1';
    brokerConfigs['follower.replication.throttled.rate'] = '1';
    const other = new BrokerReplicationQuotas(broker(5), view, () => t);
    other.leader.record(1e6);
    other.follower.record(1e6);
    expect(other.shouldLeaderThrottle(r, 3)).toBe(false);
    expect(other.shouldFollowerThrottle(r)).toBe(false);
  });

  it('a follower leaves its throttled partition out while the follower quota is exceeded, unless it is in the ISR', () => {
    brokerConfigs['follower.replication.throttled.rate'] = '1000';
    const onThree = new BrokerReplicationQuotas(broker(3), view, () => t);
    expect(onThree.shouldFollowerThrottle(r)).toBe(false);
    onThree.follower.record(1e6);
    expect(onThree.shouldFollowerThrottle(r)).toBe(true);
    isr.push(3);
    try {
      expect(onThree.shouldFollowerThrottle(r)).toBe(false);
    } finally {
      isr.pop();
    }
  });

  it('follows the rate as dynamic configs change', () => {
    const q = new BrokerReplicationQuotas(broker(1), view, () => t);
    expect(q.leader.bounded).toBe(false);
    brokerConfigs['leader.replication.throttled.rate'] = '5000000';
    q.refresh();
    expect(q.leader.upperBound).toBe(5_000_000);
    delete brokerConfigs['leader.replication.throttled.rate'];
    brokerConfigs['leader.replication.throttled.rate'] = '9223372036854775807';
    q.refresh();
    expect(q.leader.bounded).toBe(false);
  });
});
