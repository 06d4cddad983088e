import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRecordBatch } from '@dms/kafka-codec';
import { OffsetMap, PartitionLog } from '@dms/log';
import type { Logger } from '@dms/platform';
import { CLEANER_CHECKPOINT_FILE, LogCleaner } from './log-cleaner';
import { PartitionReplica } from './partition-replica';
import type { ReplicaManager } from './replica-manager';

const silent = { info: () => {}, warn: () => {}, error: () => {}, debug: () => {} } as unknown as Logger;
const COMPACT = { 'cleanup.policy': 'compact', 'file.delete.delay.ms': '0' };

let root: string;
let replicas: PartitionReplica[];
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'dms-cleaner-'));
  replicas = [];
});
afterEach(async () => {
  for (const r of replicas) await r.log.close();
  await rm(root, { recursive: true, force: true });
});

async function replica(topic: string, configs: Record<string, string>, rounds: number): Promise<PartitionReplica> {
  const log = await PartitionLog.open(join(root, `${topic}-0`), { segmentBytes: 400 });
  for (let i = 0; i < rounds; i++) {
    await log.append(await buildRecordBatch({ records: [0, 1, 2, 3, 4].map((k) => ({ key: `k${k}`, value: `v${i}` })) }), { leaderEpoch: 0 });
  }
  log.highWatermark = log.logEndOffset;
  const r = new PartitionReplica(topic, 0, `${topic}-id`, log, configs);
  replicas.push(r);
  return r;
}

const manager = () =>
  ({
    all: () => replicas.values(),
    getNow: (topic: string, partition: number) => replicas.find((r) => r.topic === topic && r.partition === partition),
  }) as unknown as ReplicaManager;

function cleaner() {
  return new LogCleaner(manager(), { logDir: root, threads: 1, backoffMs: 60_000, dedupeBufferSize: 1 << 20, indexIntervalBytes: 4096, logger: silent });
}

describe('LogCleaner', () => {
  it('cleans the filthiest compacted log first, never a delete-policy log, and checkpoints where it stopped', async () => {
    const map = new OffsetMap(1 << 20);
    const c = cleaner();
    // `small` is cleaned once, then gets a little more dirty data: dirty, but less than `big`.
    const small = await replica('small', COMPACT, 8);
    expect(await c.cleanFilthiest(map)).toBe(true);
    const smallFirst = c.checkpoint('small', 0)!;
    for (let i = 0; i < 12; i++) {
      await small.log.append(await buildRecordBatch({ records: [0, 1, 2, 3, 4].map((k) => ({ key: `k${k}`, value: `w${i}` })) }), { leaderEpoch: 0 });
    }
    small.log.highWatermark = small.log.logEndOffset;
    const big = await replica('big', COMPACT, 30);
    const plain = await replica('plain', { 'cleanup.policy': 'delete' }, 30);
    const plainSegments = plain.log.closedSegments().length;

    expect(await c.cleanFilthiest(map)).toBe(true);
    expect(c.checkpoint('big', 0)).toBe(big.log.activeSegmentBaseOffset);
    expect(c.checkpoint('small', 0)).toBe(smallFirst);
    expect(await c.cleanFilthiest(map)).toBe(true);
    expect(c.checkpoint('small', 0)).toBe(small.log.activeSegmentBaseOffset);
    // Nothing dirty is left: the next pass finds nothing to do.
    expect(await c.cleanFilthiest(map)).toBe(false);
    expect(plain.log.closedSegments().length).toBe(plainSegments);
    expect(c.totals.rounds).toBe(3);

    const file = await readFile(join(root, CLEANER_CHECKPOINT_FILE), 'utf8');
    expect(file.split('\n').slice(0, 2)).toEqual(['0', '2']);
    expect(file).toContain(`big 0 ${big.log.activeSegmentBaseOffset}\n`);

    // A restarted cleaner starts from the checkpoint instead of recompacting from scratch.
    const again = cleaner();
    await again.start();
    expect(again.checkpoint('big', 0)).toBe(big.log.activeSegmentBaseOffset);
    expect(await again.cleanFilthiest(map)).toBe(false);
    await again.stop();
  });

  it('honours min.cleanable.dirty.ratio: a log just below it waits for more dirty data', async () => {
    const r = await replica('t', { ...COMPACT, 'min.cleanable.dirty.ratio': '0.99' }, 30);
    const c = cleaner();
    const map = new OffsetMap(1 << 20);
    // First round: everything is dirty (ratio 1 > 0.99).
    expect(await c.cleanFilthiest(map)).toBe(true);
    for (let i = 0; i < 6; i++) {
      await r.log.append(await buildRecordBatch({ records: [{ key: 'k0', value: `late${i}` }] }), { leaderEpoch: 0 });
    }
    r.log.highWatermark = r.log.logEndOffset;
    expect(await c.cleanFilthiest(map)).toBe(false);
    r.configs = { ...COMPACT, 'min.cleanable.dirty.ratio': '0.1' };
    expect(await c.cleanFilthiest(map)).toBe(true);
  });
});
