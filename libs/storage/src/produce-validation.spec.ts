import { CompressionType, buildRecordBatch, decodeRecordBatches, rewriteBatchCrc, validateBatches } from '@dms/kafka-codec';
import { ErrorCode } from '@dms/kafka-errors';
import { checkForAppend } from './produce-validation';
import { produceSettings } from './topic-settings';

const NOW = 1_800_000_000_000n;
const HOUR = 3_600_000;

async function check(records: Buffer, configs: Record<string, string>, messageMaxBytes = 1_048_588) {
  const { positions } = validateBatches(records);
  return checkForAppend(records, positions, produceSettings(configs, { messageMaxBytes }), NOW, 't-0');
}

describe('produceSettings', () => {
  it('falls back to Kafka defaults', () => {
    const s = produceSettings({}, { messageMaxBytes: 1000 });
    expect(s).toEqual({
      maxMessageBytes: 1000, segmentBytes: 1_073_741_824, logAppendTime: false, timestampBeforeMaxMs: 9223372036854775807n, timestampAfterMaxMs: 3_600_000n,
      compression: 'producer', compacted: false,
    });
    const t = produceSettings({ 'compression.type': 'uncompressed', 'cleanup.policy': 'compact,delete', 'max.message.bytes': '50', 'message.timestamp.after.max.ms': '5' }, { messageMaxBytes: 1000 });
    expect(t).toMatchObject({ compression: CompressionType.None, compacted: true, maxMessageBytes: 50, timestampAfterMaxMs: 5n });
  });
});

describe('checkForAppend', () => {
  it('refuses records whose framing is broken inside a sound batch with CORRUPT_MESSAGE', async () => {
    const b = await buildRecordBatch({ records: [{ key: 'k', value: 'value', timestamp: NOW }] });
    const bad = Buffer.from(b);
    bad.writeInt32BE(2, 57); // record count 2, only one record
    rewriteBatchCrc(bad);
    expect(await check(bad, {})).toMatchObject({ ok: false, errorCode: ErrorCode.CORRUPT_MESSAGE });
  });

  it('passes ordinary batches through untouched (no copy)', async () => {
    const b = await buildRecordBatch({ compression: CompressionType.Gzip, records: [{ key: 'k', value: 'v', timestamp: NOW }] });
    const res = await check(b, {});
    expect(res.ok && res.records).toBe(b);
  });

  it('refuses a batch above max.message.bytes with MESSAGE_TOO_LARGE, counting the whole batch', async () => {
    const b = await buildRecordBatch({ records: [{ value: Buffer.alloc(500), timestamp: NOW }] });
    expect(await check(b, { 'max.message.bytes': String(b.length) })).toMatchObject({ ok: true });
    const res = await check(b, { 'max.message.bytes': String(b.length - 1) });
    expect(res).toMatchObject({ ok: false, errorCode: ErrorCode.MESSAGE_TOO_LARGE });
    // The whole append above segment.bytes is RECORD_LIST_TOO_LARGE, as Kafka answers.
    const two = Buffer.concat([b, b]);
    expect(await check(two, { 'segment.bytes': String(two.length - 1) })).toMatchObject({ ok: false, errorCode: ErrorCode.RECORD_LIST_TOO_LARGE });
  });

  it('refuses keyless records on a compacted topic with INVALID_RECORD and one record error each', async () => {
    const b = await buildRecordBatch({ records: [{ key: 'a', value: '1', timestamp: NOW }, { key: null, value: '2', timestamp: NOW }, { key: 'c', value: null, timestamp: NOW }, { value: '4', timestamp: NOW }] });
    const res = await check(b, { 'cleanup.policy': 'compact' });
    expect(res.ok).toBe(false);
    if (res.ok) return;
    expect(res.errorCode).toBe(ErrorCode.INVALID_RECORD);
    expect(res.recordErrors).toEqual([
      { batchIndex: 1, message: 'Compacted topic cannot accept message without key in topic partition t-0.' },
      { batchIndex: 3, message: 'Compacted topic cannot accept message without key in topic partition t-0.' },
    ]);
    expect(res.errorMessage).toContain('2 record errors in total');
    // Tombstones (key, null value) are fine; so are keyless records on a delete topic.
    expect(await check(b, { 'cleanup.policy': 'delete' })).toMatchObject({ ok: true });
  });

  it('checks every CreateTime record against message.timestamp.before/after.max.ms, not only the header', async () => {
    const late = await buildRecordBatch({ records: [{ key: 'a', value: '1', timestamp: NOW }, { key: 'b', value: '2', timestamp: NOW + BigInt(2 * HOUR) }] });
    const res = await check(late, {});
    expect(res).toMatchObject({ ok: false, errorCode: ErrorCode.INVALID_TIMESTAMP, errorMessage: 'One or more records have been rejected due to invalid timestamp' });
    if (!res.ok) expect(res.recordErrors).toEqual([{ batchIndex: 1, message: `Timestamp ${NOW + BigInt(2 * HOUR)} of message with offset 1 is out of range. The timestamp should be within [-9223372036854775807, ${NOW + BigInt(HOUR)}]` }]);
    expect(await check(late, { 'message.timestamp.after.max.ms': String(3 * HOUR) })).toMatchObject({ ok: true });
    // The first record is the oldest one only by convention: a later record may be older.
    const old = await buildRecordBatch({ records: [{ key: 'a', value: '1', timestamp: NOW }, { key: 'b', value: '2', timestamp: NOW - 10_000n }] });
    expect(await check(old, { 'message.timestamp.before.max.ms': '20000' })).toMatchObject({ ok: true });
    const refused = await check(old, { 'message.timestamp.before.max.ms': '5000' });
    expect(refused).toMatchObject({ ok: false, errorCode: ErrorCode.INVALID_TIMESTAMP });
    if (!refused.ok) expect(refused.recordErrors.map((e) => e.batchIndex)).toEqual([1]);
    // A header that lies about its max timestamp does not hide a record from the check.
    const lying = Buffer.from(late);
    lying.writeBigInt64BE(NOW - 1n, 35);
    rewriteBatchCrc(lying);
    expect(await check(lying, {})).toMatchObject({ ok: false, errorCode: ErrorCode.INVALID_TIMESTAMP });
    // LogAppendTime topics take the broker's clock instead: nothing to check.
    expect(await check(late, { 'message.timestamp.type': 'LogAppendTime' })).toMatchObject({ ok: true });
  });

  it('names key errors before timestamp errors, as Kafka does per record', async () => {
    const b = await buildRecordBatch({ records: [{ key: null, value: '1', timestamp: NOW + BigInt(2 * HOUR) }] });
    expect(await check(b, { 'cleanup.policy': 'compact' })).toMatchObject({ ok: false, errorCode: ErrorCode.INVALID_RECORD, recordErrors: [{ batchIndex: 0 }] });
  });

  it('recompresses to the topic codec, keeping records, and keeps the producer codec for "producer"', async () => {
    const records = [{ key: 'k1', value: 'a'.repeat(300), timestamp: NOW, headers: [{ key: 'h', value: 'x' }] }, { key: 'k2', value: null, timestamp: NOW + 1n }];
    const gz = await buildRecordBatch({ compression: CompressionType.Gzip, producerId: 7n, producerEpoch: 1, baseSequence: 5, records });
    const two = Buffer.concat([gz, await buildRecordBatch({ compression: CompressionType.Gzip, records })]);
    const res = await check(two, { 'compression.type': 'zstd' });
    expect(res.ok).toBe(true);
    if (!res.ok) return;
    const [a, b] = await decodeRecordBatches(res.records);
    const [oa, ob] = await decodeRecordBatches(two);
    expect([a.header.compression, b.header.compression]).toEqual([CompressionType.Zstd, CompressionType.Zstd]);
    expect(a.records).toEqual(oa.records);
    expect(b.records).toEqual(ob.records);
    expect([a.header.producerId, a.header.producerEpoch, a.header.baseSequence]).toEqual([7n, 1, 5]);
    const plain = await check(gz, { 'compression.type': 'uncompressed' });
    expect(plain.ok && (await decodeRecordBatches(plain.records))[0].header.compression).toBe(CompressionType.None);
    const kept = await check(gz, { 'compression.type': 'producer' });
    expect(kept.ok && kept.records).toBe(gz);
  });
});
