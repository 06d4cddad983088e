import { buildRecordBatch } from '@dms/kafka-codec';
import type { PartitionLog } from '@dms/log';
import { createLogger } from '@dms/platform';
import { ConsumerLagCollector, type ConsumerLagSources } from './consumer-lag';
import { type EndsAsk, tpKey, type PartitionEnds, type RemoteEnds } from './partition-end-offsets';

const logger = createLogger({ service: 'test', level: 'silent' });
const NOW = 1_700_000_100_000;

/** A log holding one batch per entry (base offset -> batch), read as PartitionLog.read does. */
function logOf(batches: Map<bigint, Buffer>): PartitionLog {
  return {
    logStartOffset: 0n,
    read: async (offset: bigint) => {
      const base = [...batches.keys()].filter((b) => b <= offset).sort((a, b) => (a < b ? 1 : -1))[0];
      return { records: base === undefined ? Buffer.alloc(0) : batches.get(base)!, logStartOffset: 0n, logEndOffset: 0n, highWatermark: 0n };
    },
  } as unknown as PartitionLog;
}

function collector(sources: Partial<ConsumerLagSources>) {
  const remoteAsks: EndsAsk[][] = [];
  const full: ConsumerLagSources = {
    committedOffsets: () => [],
    localLeader: () => undefined,
    remoteEnds: async (partitions) => {
      remoteAsks.push(partitions);
      return new Map();
    },
    ...sources,
  };
  return { c: new ConsumerLagCollector({ sources: full, intervalMs: 60_000, logger, now: () => NOW }), remoteAsks };
}

describe('ConsumerLagCollector', () => {
  it('lag is HW - committed per group and partition, local and remote, with the age of the record at the commit', async () => {
    const batch = await buildRecordBatch({ baseOffset: 4n, records: [{ value: Buffer.from('a'), timestamp: NOW - 30_000 }, { value: Buffer.from('b'), timestamp: NOW - 20_000 }] });
    const log = logOf(new Map([[4n, batch]]));
    const localEnds: PartitionEnds = { logStartOffset: 0n, highWatermark: 10n };
    const { c, remoteAsks } = collector({
      committedOffsets: () => [
        { groupId: 'g1', topic: 't', partition: 0, offset: 4n },
        { groupId: 'g2', topic: 't', partition: 0, offset: 10n },
        { groupId: 'g1', topic: 't', partition: 1, offset: 2n },
        { groupId: 'g2', topic: 't', partition: 1, offset: 9n },
        { groupId: 'g1', topic: 'gone', partition: 0, offset: 1n },
      ],
      localLeader: (topic, partition) => (topic === 't' && partition === 0 ? { ends: localEnds, log } : undefined),
      remoteEnds: async (partitions) => {
        remoteAsks.push(partitions);
        return new Map([[tpKey('t', 1), { logStartOffset: 0n, highWatermark: 5n, records: new Map([[2n, { offset: 2n, timestamp: NOW - 12_000 }], [9n, null]]) }]]);
      },
    });
    await c.collect();
    const byKey = new Map(c.samples().map((s) => [`${s.groupId}/${s.topic}/${s.partition}`, s]));
    expect(byKey.get('g1/t/0')).toMatchObject({ committedOffset: 4n, highWatermark: 10n, lag: 6n, lagSeconds: 30 });
    expect(byKey.get('g2/t/0')).toMatchObject({ lag: 0n, lagSeconds: 0 });
    // Led elsewhere: the figures, record age included, come from the leader.
    expect(byKey.get('g1/t/1')).toMatchObject({ highWatermark: 5n, lag: 3n, lagSeconds: 12 });
    // Committed past the HW the leader answered (it moved meanwhile): never a negative lag.
    expect(byKey.get('g2/t/1')).toMatchObject({ lag: 0n, lagSeconds: 0 });
    // A partition nobody answered for has no figure.
    expect(byKey.has('g1/gone/0')).toBe(false);
    // One batched ask for the partitions led elsewhere, each named once with its committed offsets.
    expect(remoteAsks).toEqual([[{ topic: 't', partition: 1, recordsAt: [2n, 9n] }, { topic: 'gone', partition: 0, recordsAt: [1n] }]]);
  });

  it('a commit below the log start ages from the first record still in the log', async () => {
    const batch = await buildRecordBatch({ baseOffset: 100n, records: [{ value: Buffer.from('x'), timestamp: NOW - 5_000 }] });
    const log = logOf(new Map([[100n, batch]]));
    const { c } = collector({
      committedOffsets: () => [{ groupId: 'g', topic: 't', partition: 0, offset: 3n }],
      localLeader: () => ({ ends: { logStartOffset: 100n, highWatermark: 101n }, log: Object.assign(log, { logStartOffset: 100n }) }),
    });
    await c.collect();
    expect(c.samples()).toEqual([expect.objectContaining({ lag: 98n, lagSeconds: 5 })]);
  });

  it('keeps the last round for scrapes and recomputes on the next one', async () => {
    let committed = 1n;
    const { c } = collector({
      committedOffsets: () => [{ groupId: 'g', topic: 't', partition: 0, offset: committed }],
      localLeader: () => ({ ends: { logStartOffset: 0n, highWatermark: 8n }, log: logOf(new Map()) }),
    });
    await c.collect();
    committed = 8n;
    expect(c.samples()[0]!.lag).toBe(7n); // cached until the next round
    await c.collect();
    expect(c.samples()[0]).toMatchObject({ lag: 0n, lagSeconds: 0 });
  });

  it('asks a leader for the record at a committed offset once while the commit stands', async () => {
    let committed = 3n;
    let hw = 10n;
    let logStart = 0n;
    const { c, remoteAsks } = collector({
      committedOffsets: () => [{ groupId: 'g', topic: 't', partition: 0, offset: committed }],
      remoteEnds: async (partitions) => {
        remoteAsks.push(partitions);
        const records = new Map<bigint, { offset: bigint; timestamp: number } | null>();
        for (const o of partitions[0]!.recordsAt ?? []) {
          const at = o < logStart ? logStart : o; // as the leader does: the first record still there
          records.set(o, { offset: at, timestamp: NOW - Number(100n - at) * 1000 });
        }
        return new Map<string, RemoteEnds>([[tpKey('t', 0), { logStartOffset: logStart, highWatermark: hw, records }]]);
      },
    });
    await c.collect();
    expect(c.samples()[0]).toMatchObject({ lag: 7n, lagSeconds: 97 });
    hw = 20n;
    await c.collect(); // same commit: the timestamp comes from the cache
    expect(c.samples()[0]).toMatchObject({ lag: 17n, lagSeconds: 97 });
    committed = 20n;
    await c.collect(); // caught up: no age
    expect(c.samples()[0]).toMatchObject({ lag: 0n, lagSeconds: 0 });
    committed = 5n;
    await c.collect();
    expect(c.samples()[0]).toMatchObject({ lag: 15n, lagSeconds: 95 });
    // Retention passed the remembered record: no figure this round, asked again the next.
    logStart = 8n;
    await c.collect();
    expect(c.samples()[0]).toMatchObject({ lag: 15n, lagSeconds: undefined });
    await c.collect();
    expect(c.samples()[0]).toMatchObject({ lagSeconds: 92 });
    expect(remoteAsks.map((a) => a[0]!.recordsAt)).toEqual([[3n], [], [20n], [5n], [], [5n]]);
  });
});
