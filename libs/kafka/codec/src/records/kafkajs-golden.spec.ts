import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BATCH, BATCH_HEADER_SIZE, CompressionType, validateBatches } from './batch-header';
import { decompress } from './compression';
import { KafkaRecord, buildRecordBatch, decodeRecordBatch, findOffsetByTimestamp } from './record-batch';

/**
 * Batches written by kafkajs's own Produce v3 encoder (golden/generate-kafkajs-golden.js).
 * The expectations below mirror that script's inputs.
 */
function fixture(name: string): Buffer {
  return Buffer.from(readFileSync(join(__dirname, 'golden', `${name}.hex`), 'utf8').replace(/\s+/g, ''), 'hex');
}

const T = 1_700_000_000_000n;

function plain(records: KafkaRecord[]) {
  return records.map((r) => ({
    offset: r.offset,
    timestamp: r.timestamp,
    key: r.key === null ? null : r.key.toString('hex'),
    value: r.value === null ? null : r.value.toString('hex'),
    headers: r.headers.map((h) => [h.key, h.value === null ? null : h.value.toString('hex')]),
  }));
}

const hex = (s: string) => Buffer.from(s).toString('hex');

const basicRecords = [
  {
    offset: 0n,
    timestamp: T + 5n,
    key: hex('key-0'),
    value: hex('value-0'),
    headers: [
      ['trace-id', hex('abc')],
      ['multi', hex('one')],
      ['multi', hex('two')],
    ],
  },
  { offset: 1n, timestamp: T, key: null, value: '0001' + '02ff', headers: [] },
  { offset: 2n, timestamp: T + 3n, key: hex('k2'), value: null, headers: [] },
  { offset: 3n, timestamp: T + 9n, key: hex('k3'), value: '', headers: [['empty', '']] },
];

// kafkajs takes the smallest timestamp as baseTimestamp (not the first record's) and writes
// producerEpoch 0 / baseSequence 0 / partitionLeaderEpoch 0 for non-idempotent producers.
const kafkajsDefaults = {
  baseOffset: 0n,
  partitionLeaderEpoch: 0,
  magic: 2,
  producerId: -1n,
  producerEpoch: 0,
  baseSequence: 0,
  timestampType: 'create',
  isControl: false,
};

describe('kafkajs golden batches', () => {
  it.each([
    ['kafkajs-none-basic', CompressionType.None],
    ['kafkajs-gzip-basic', CompressionType.Gzip],
  ])('%s decodes field by field', async (name, compression) => {
    const batch = fixture(name);
    expect(validateBatches(batch).problem).toEqual({ kind: 'ok' });
    const { header, records } = await decodeRecordBatch(batch);
    expect(header).toMatchObject({
      ...kafkajsDefaults,
      sizeInBytes: batch.length,
      attributes: compression,
      compression,
      isTransactional: false,
      lastOffsetDelta: 3,
      baseTimestamp: T,
      maxTimestamp: T + 9n,
      recordCount: 4,
    });
    expect(plain(records)).toEqual(basicRecords);
  });

  it('kafkajs-none-transactional carries the idempotent producer fields', async () => {
    const batch = fixture('kafkajs-none-transactional');
    expect(validateBatches(batch).problem).toEqual({ kind: 'ok' });
    const { header, records } = await decodeRecordBatch(batch);
    expect(header).toMatchObject({
      ...kafkajsDefaults,
      attributes: 0x10,
      isTransactional: true,
      producerId: 4242n,
      producerEpoch: 3,
      baseSequence: 17,
      lastOffsetDelta: 1,
      baseTimestamp: T,
      maxTimestamp: T + 5n,
      recordCount: 2,
    });
    expect(plain(records)).toEqual(basicRecords.slice(0, 2));
  });

  it('kafkajs-gzip-many decodes all 200 records', async () => {
    const batch = fixture('kafkajs-gzip-many');
    const { header, records } = await decodeRecordBatch(batch);
    expect(header).toMatchObject({
      ...kafkajsDefaults,
      compression: CompressionType.Gzip,
      lastOffsetDelta: 199,
      recordCount: 200,
      baseTimestamp: T,
      maxTimestamp: T + 199n,
    });
    expect(records).toHaveLength(200);
    records.forEach((r, i) => {
      expect(r.offset).toBe(BigInt(i));
      expect(r.timestamp).toBe(T + BigInt(i));
      expect(r.key!.toString()).toBe(`key-${i}`);
      expect(r.value!.toString()).toBe(`value-${i}-`.repeat(1 + (i % 7)));
      expect(r.headers).toEqual([]);
    });
  });

  it('our encoder writes the same header and record bytes as kafkajs for the same input', async () => {
    const golden = fixture('kafkajs-gzip-many');
    const ours = await buildRecordBatch({
      partitionLeaderEpoch: 0,
      producerEpoch: 0,
      baseSequence: 0,
      compression: CompressionType.Gzip,
      records: Array.from({ length: 200 }, (_, i) => ({
        key: `key-${i}`,
        value: `value-${i}-`.repeat(1 + (i % 7)),
        timestamp: T + BigInt(i),
      })),
    });
    // Everything but batchLength and CRC, which depend on the gzip bytes.
    expect(ours.subarray(BATCH.attributes, BATCH_HEADER_SIZE)).toEqual(golden.subarray(BATCH.attributes, BATCH_HEADER_SIZE));
    expect(ours.subarray(0, BATCH.batchLength)).toEqual(golden.subarray(0, BATCH.batchLength));
    const ourRecords = await decompress(CompressionType.Gzip, ours.subarray(BATCH_HEADER_SIZE));
    const theirRecords = await decompress(CompressionType.Gzip, golden.subarray(BATCH_HEADER_SIZE));
    expect(ourRecords.equals(theirRecords)).toBe(true);
  });

  it('finds offsets by timestamp in kafkajs batches from the records', async () => {
    const batch = fixture('kafkajs-gzip-basic');
    expect(await findOffsetByTimestamp(batch, T + 4n)).toEqual({ offset: 0n, timestamp: T + 5n, leaderEpoch: 0 });
    expect(await findOffsetByTimestamp(batch, T + 6n)).toEqual({ offset: 3n, timestamp: T + 9n, leaderEpoch: 0 });
    expect(await findOffsetByTimestamp(batch, T + 10n)).toBeNull();
  });
});
