// The broker's retention loop over real partition logs: topic configs are re-read at each check,
// leaders with a delete policy delete expired segments, followers only roll and drop what lies
// below the start their leader gave them, and the low watermark waits for in-sync followers.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRecordBatch } from '@dms/kafka-codec';
import { PartitionLog } from '@dms/log';
import { createLogger } from '@dms/platform';
import { LeaderState } from '@dms/replication';
import { LogRetention } from './log-retention';
import { PartitionReplica } from './partition-replica';

let dir: string;
beforeEach(async () => (dir = await mkdtemp(join(tmpdir(), 'dms-retention-'))));
afterEach(() => rm(dir, { recursive: true, force: true }));

const logger = createLogger({ service: 'spec', id: 0, level: 'silent' });

async function replica(name: string, configs: Record<string, string>, role: 'leader' | 'follower', isr = [1]) {
  const log = await PartitionLog.open(join(dir, `${name}-0`), { fileDeleteDelayMs: 0 });
  const r = new PartitionReplica(name, 0, name, log, configs);
  r.role = role;
  if (role === 'leader') {
    r.leaderId = 1;
    r.leaderEpoch = 0;
    r.leader = new LeaderState({ leaderId: 1, leaderEpoch: 0, epochStartOffset: 0n, replicas: isr, isr, partitionEpoch: 0, highWatermark: 0n, nowMs: Date.now() });
  }
  return r;
}

async function appendAt(r: PartitionReplica, timestamp: number, count = 1) {
  for (let i = 0; i < count; i++) await r.log.append(await buildRecordBatch({ records: [{ value: `v${i}`, timestamp: BigInt(timestamp) }] }), { leaderEpoch: 0 });
  r.log.highWatermark = r.log.logEndOffset;
}

function retentionOver(replicas: PartitionReplica[]) {
  const checkpoints: number[] = [];
  const retention = new LogRetention({
    replicas: { all: () => replicas.values(), checkpointLogStartOffsets: async () => void checkpoints.push(Date.now()) },
    checkIntervalMs: 60_000,
    brokerDefaults: { segmentBytes: 1 << 20 },
    logger,
  });
  return { retention, checkpoints };
}

describe('LogRetention', () => {
  it('deletes expired segments on a delete-policy leader, and takes a changed retention.ms at the next check', async () => {
    const now = Date.now();
    const r = await replica('a', { 'retention.ms': '3600000', 'segment.ms': '1000' }, 'leader');
    const { retention, checkpoints } = retentionOver([r]);
    await retention.check(now); // applies the topic's segment.ms to the log
    await appendAt(r, now - 60_000, 3);
    await appendAt(r, now, 1); // rolls: its timestamp is a minute past the first batch's
    expect(r.log.segmentList()).toHaveLength(2);
    await retention.check(now);
    expect(r.log.logStartOffset).toBe(0n); // an hour of retention keeps the minute-old segment
    r.configs = { ...r.configs, 'retention.ms': '5000' };
    await retention.check(now);
    expect(r.log.logStartOffset).toBe(3n);
    expect(checkpoints).toHaveLength(1);
    await r.log.close();
  });

  it('never deletes for cleanup.policy=compact, but still rolls by segment.ms', async () => {
    const now = Date.now();
    const r = await replica('b', { 'cleanup.policy': 'compact', 'retention.ms': '1', 'segment.ms': '1000' }, 'leader');
    await appendAt(r, now - 60_000, 2);
    const { retention } = retentionOver([r]);
    await retention.check(now);
    expect(r.log.segmentList()).toHaveLength(2);
    await retention.check(now + 10_000);
    expect(r.log.logStartOffset).toBe(0n);
    await r.log.close();
  });

  it('never deletes from an internal topic that does not name its cleanup.policy (compacted, as Kafka)', async () => {
    const now = Date.now();
    const r = await replica('__consumer_offsets', { 'retention.ms': '1', 'segment.ms': '1000' }, 'leader');
    const { retention } = retentionOver([r]);
    await retention.check(now);
    await appendAt(r, now - 60_000, 2);
    await appendAt(r, now, 1);
    await retention.check(now + 10_000);
    expect(r.log.segmentList().length).toBeGreaterThan(1);
    expect(r.log.logStartOffset).toBe(0n);
    await r.log.close();
  });

  it('lets a follower roll and drop segments below the start its leader gave it, and nothing more', async () => {
    const now = Date.now();
    const r = await replica('c', { 'retention.ms': '1', 'segment.ms': '1000' }, 'follower');
    await appendAt(r, now - 60_000, 2);
    await r.log.deleteRecordsBefore(2n); // learnt from the leader while the segment was active
    expect(r.log.segmentList()).toHaveLength(1);
    const { retention } = retentionOver([r]);
    await retention.check(now);
    // Rolled, and the closed segment lies below the start: gone. Its own retention.ms is not applied.
    expect(r.log.segmentList().map((s) => s.baseOffset)).toEqual([2n]);
    await appendAt(r, now - 60_000, 2);
    await retention.check(now + 5_000);
    expect(r.log.logStartOffset).toBe(2n);
    await r.log.close();
  });
});

describe('low watermark (DeleteRecords)', () => {
  it('is the smallest log start offset over the ISR and wakes its waiters when followers report', async () => {
    const r = await replica('d', {}, 'leader', [1, 2, 3]);
    await appendAt(r, Date.now(), 5);
    await r.log.deleteRecordsBefore(4n);
    r.onLogStartMoved();
    expect(r.lowWatermark()).toBe(-1n); // followers not heard from yet
    const waiting = r.awaitLowWatermark(4n, 5_000);
    r.onFollowerLogStart(2, 4n);
    expect(r.lowWatermark()).toBe(-1n);
    r.onFollowerLogStart(3, 4n);
    await expect(waiting).resolves.toBe(true);
    expect(r.lowWatermark()).toBe(4n);
    await expect(r.awaitLowWatermark(5n, 50)).resolves.toBe(false);
    await r.log.close();
  });
});
