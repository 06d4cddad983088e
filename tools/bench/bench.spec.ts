import { decodeRecordBatch } from '@dms/kafka-codec';
import { FakeBroker } from '@dms/kafka-client';
import { formatReport, runBench } from './main';
import { parseBenchArgs } from './options';
import { LatencyRecorder } from './stats';
import { prebuildBatch } from './load';

describe('bench options', () => {
  it('parses every flag and fills defaults', () => {
    const o = parseBenchArgs(['both', '--bootstrap-server', 'h:1', '--topic', 'x', '--partitions', '8', '--record-size', '100',
      '--batch-size', '50', '--acks', '1', '--in-flight', '4', '--duration-s', '0.5', '--compression', 'zstd', '--json']);
    expect(o).toMatchObject({ mode: 'both', bootstrapServer: 'h:1', topic: 'x', partitions: 8, recordSize: 100, batchSize: 50,
      acks: 1, inFlight: 4, durationS: 0.5, compressionName: 'zstd', json: true });
    expect(parseBenchArgs(['produce'])).toMatchObject({ partitions: 4, acks: -1, inFlight: 16, durationS: 10, json: false });
  });

  it('rejects bad values', () => {
    expect(() => parseBenchArgs(['fly'])).toThrow(/mode must be/);
    expect(() => parseBenchArgs(['produce', '--duration-s', '0'])).toThrow(/duration-s/);
    expect(() => parseBenchArgs(['produce', '--in-flight', '0'])).toThrow(/in-flight/);
  });
});

describe('LatencyRecorder', () => {
  it('computes nearest-rank percentiles', () => {
    const r = new LatencyRecorder();
    for (let i = 1000; i >= 1; i--) r.add(i);
    expect(r.percentiles([0.5, 0.99, 0.999, 1])).toEqual([500, 990, 999, 1000]);
    expect(new LatencyRecorder().percentiles([0.5])).toEqual([null]);
  });
});

describe('bench run against the fake broker', () => {
  let broker: FakeBroker;
  beforeAll(async () => { broker = await FakeBroker.start(); });
  afterAll(() => broker.stop());

  it('builds the batch once with the asked shape', async () => {
    const o = parseBenchArgs(['produce', '--record-size', '64', '--batch-size', '10', '--compression', 'lz4']);
    const { header, records } = await decodeRecordBatch(await prebuildBatch(o));
    expect(header.recordCount).toBe(10);
    expect(records.every((r) => r.value!.length === 64)).toBe(true);
  });

  it('produces then consumes back exactly what it produced, within its time bound', async () => {
    const o = parseBenchArgs(['both', '--bootstrap-server', broker.address, '--topic', 'b', '--partitions', '3',
      '--record-size', '32', '--batch-size', '5', '--in-flight', '4', '--duration-s', '0.3']);
    const started = Date.now();
    const report = await runBench(o);
    expect(Date.now() - started).toBeLessThan(5000);
    const [produce, consume] = report.results;
    expect(produce.requests).toBeGreaterThan(0);
    expect(produce.errors).toEqual({});
    expect(produce.latencyMs.p50).not.toBeNull();
    const stored = broker.topics.get('b')!.partitions.reduce((n, p) => n + Number(p.nextOffset), 0);
    expect(produce.records).toBe(stored);
    expect(consume.records).toBe(stored);
    expect(report.conditions).toMatchObject({ partitions: 3, recordSize: 32, batchSize: 5, acks: -1, inFlight: 4 });
    expect(formatReport(report)).toMatch(/produce .* MB\/s .* records\/s/);
  });

  it('--idempotent produces through the idempotent producer: one producer id, sequences per partition', async () => {
    const o = parseBenchArgs(['produce', '--bootstrap-server', broker.address, '--topic', 'i', '--partitions', '2',
      '--record-size', '16', '--batch-size', '4', '--in-flight', '12', '--duration-s', '0.3', '--idempotent']);
    const report = await runBench(o);
    const [produce] = report.results;
    expect(produce.errors).toEqual({});
    expect(report.conditions.idempotent).toBe(true);
    expect(broker.producerIds).toEqual([1000n]);
    for (const p of broker.topics.get('i')!.partitions) {
      const sequences = p.batches.map((b) => [b.readBigInt64BE(43), b.readInt32BE(53)]);
      expect(sequences).toEqual(sequences.map((_, n) => [1000n, 4 * n]));
    }
    expect(produce.records).toBe(broker.topics.get('i')!.partitions.reduce((n, p) => n + Number(p.nextOffset), 0));
    expect(() => parseBenchArgs(['produce', '--idempotent', '--acks', '1'])).toThrow(/acks -1/);
  });

  it('--transactional-id commits transactions of --records-per-txn records spread over the partitions and reports transactions/s', async () => {
    const o = parseBenchArgs(['produce', '--bootstrap-server', broker.address, '--topic', 'tx', '--partitions', '3',
      '--record-size', '16', '--batch-size', '4', '--duration-s', '0.3', '--transactional-id', 'bench-tx', '--records-per-txn', '12']);
    const report = await runBench(o);
    const [produce] = report.results;
    expect(produce.errors).toEqual({});
    expect(report.conditions).toMatchObject({ transactionalId: 'bench-tx', recordsPerTxn: 12 });
    const ends = broker.txn.ends.filter((e) => e.transactionalId === 'bench-tx');
    expect(produce.transactions!.committed).toBeGreaterThan(0);
    expect(ends).toHaveLength(produce.transactions!.committed);
    // 12 records of batch 4: three batches per transaction, one on each partition.
    expect(ends.every((e) => e.committed && e.partitions.length === 3)).toBe(true);
    const stored = broker.topics.get('tx')!.partitions.reduce((n, p) => n + Number(p.nextOffset), 0);
    expect(produce.records).toBe(stored);
    expect(stored).toBe(12 * produce.transactions!.committed);
    expect(produce.transactions!.perSec).toBeGreaterThan(0);
    expect(formatReport(report)).toMatch(/transactions committed, [\d.]+ transactions\/s/);
    expect(() => parseBenchArgs(['produce', '--records-per-txn', '10'])).toThrow(/needs --transactional-id/);
    expect(() => parseBenchArgs(['produce', '--transactional-id', 'x', '--acks', '1'])).toThrow(/acks -1/);
  });
});

describe('disk sampling (retention bench)', () => {
  it("sums every replica's files of the topic under a dev cluster data dir, .deleted included", async () => {
    const { mkdtempSync, mkdirSync, rmSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { topicDiskBytes } = await import('./disk-usage');
    const root = mkdtempSync(join(tmpdir(), 'dms-bench-disk-'));
    try {
      for (const b of ['broker-1', 'broker-2']) {
        mkdirSync(join(root, b, 't-0'), { recursive: true });
        mkdirSync(join(root, b, 't-other-0'), { recursive: true });
        writeFileSync(join(root, b, 't-0', '00000000000000000000.log.deleted'), Buffer.alloc(100));
        writeFileSync(join(root, b, 't-0', '00000000000000000007.log'), Buffer.alloc(10));
        writeFileSync(join(root, b, 't-other-0', '00000000000000000000.log'), Buffer.alloc(1000));
      }
      expect(await topicDiskBytes(root, 't')).toEqual({ bytes: 220, deletedBytes: 200, files: 4 });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('takes topic configs and a disk dir', () => {
    const o = parseBenchArgs(['produce', '--topic-config', 'retention.bytes=1000', '--topic-config', 'segment.bytes=100', '--disk-dir', '/d']);
    expect(o).toMatchObject({ topicConfig: { 'retention.bytes': '1000', 'segment.bytes': '100' }, diskDir: '/d', sampleEveryS: 5 });
  });
});
