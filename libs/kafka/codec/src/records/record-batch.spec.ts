import {
  BATCH,
  BATCH_HEADER_SIZE,
  CompressionType,
  batchCrcMatches,
  readBatchHeader,
  rewriteBatchCrc,
  validateBatches,
  wholeBatchHeaders,
} from './batch-header';
import { compress } from './compression';
import { controlRecordType, endTxnMarker } from './control-record';
import {
  RecordInput,
  assignOffsets,
  buildRecordBatch,
  decodeRecordBatch,
  decodeRecordBatches,
  findOffsetByTimestamp,
  stampLogAppendTime,
} from './record-batch';
import { RecordsError } from './records-error';
import { writeVarint, writeVarlong } from './varint';

const ALL = [CompressionType.None, CompressionType.Gzip, CompressionType.Snappy, CompressionType.Lz4, CompressionType.Zstd];
const T = 1_700_000_000_000n;

const mixed: RecordInput[] = [
  { key: 'k0', value: 'v0', headers: [{ key: 'h', value: 'x' }, { key: 'h', value: null }], timestamp: T + 10n },
  { key: null, value: Buffer.from([0, 255]), timestamp: Number(T) },
  { key: Buffer.from('k2'), value: null, timestamp: T + 3n },
  { value: Buffer.alloc(0), headers: [{ key: 'ünïcode', value: Buffer.alloc(0) }], timestamp: T - 2n },
];

function str(b: Buffer | null): string | null {
  return b === null ? null : b.toString('utf8');
}

/** A batch whose records region is exactly `body`, with a valid CRC, for hostile-input tests. */
function batchWithBody(body: Buffer, recordCount: number, compression = CompressionType.None): Buffer {
  const batch = Buffer.alloc(BATCH_HEADER_SIZE + body.length);
  body.copy(batch, BATCH_HEADER_SIZE);
  batch.writeInt32BE(batch.length - 12, BATCH.batchLength);
  batch.writeInt8(2, BATCH.magic);
  batch.writeInt16BE(compression, BATCH.attributes);
  batch.writeInt32BE(recordCount - 1, BATCH.lastOffsetDelta);
  batch.writeInt32BE(recordCount, BATCH.recordCount);
  rewriteBatchCrc(batch, 0);
  return batch;
}

/** Raw record bytes from fields, with a length that may lie. */
function rawRecord(fields: { keyLen?: number; valueLen?: number; headerCount?: number; lengthDelta?: number; extra?: Buffer }): Buffer {
  const body = Buffer.alloc(64);
  let p = 0;
  body[p++] = 0;
  p = writeVarlong(body, p, 0n);
  p = writeVarint(body, p, 0);
  p = writeVarint(body, p, fields.keyLen ?? -1);
  p = writeVarint(body, p, fields.valueLen ?? -1);
  p = writeVarint(body, p, fields.headerCount ?? 0);
  const content = Buffer.concat([body.subarray(0, p), fields.extra ?? Buffer.alloc(0)]);
  const len = Buffer.alloc(5);
  const lp = writeVarint(len, 0, content.length + (fields.lengthDelta ?? 0));
  return Buffer.concat([len.subarray(0, lp), content]);
}

describe('buildRecordBatch / decodeRecordBatch', () => {
  it.each(ALL)('round-trips keys, null keys, null values, empty values and headers (compression %s)', async (compression) => {
    const batch = await buildRecordBatch({ baseOffset: 100n, partitionLeaderEpoch: 7, compression, records: mixed });
    expect(validateBatches(batch).problem).toEqual({ kind: 'ok' });
    const { header, records } = await decodeRecordBatch(batch);
    expect(header).toMatchObject({
      baseOffset: 100n,
      sizeInBytes: batch.length,
      partitionLeaderEpoch: 7,
      magic: 2,
      compression,
      timestampType: 'create',
      isTransactional: false,
      isControl: false,
      lastOffsetDelta: 3,
      baseTimestamp: T + 10n,
      maxTimestamp: T + 10n,
      producerId: -1n,
      producerEpoch: -1,
      baseSequence: -1,
      recordCount: 4,
    });
    expect(records.map((r) => r.offset)).toEqual([100n, 101n, 102n, 103n]);
    expect(records.map((r) => r.timestamp)).toEqual([T + 10n, T, T + 3n, T - 2n]);
    expect(records.map((r) => str(r.key))).toEqual(['k0', null, 'k2', null]);
    expect(records[0].value?.toString()).toBe('v0');
    expect(records[1].value).toEqual(Buffer.from([0, 255]));
    expect(records[2].value).toBeNull();
    expect(records[3].value).toEqual(Buffer.alloc(0));
    expect(records[0].headers.map((h) => [h.key, str(h.value)])).toEqual([
      ['h', 'x'],
      ['h', null],
    ]);
    expect(records[3].headers).toEqual([{ key: 'ünïcode', value: Buffer.alloc(0) }]);
  });

  it.each(ALL)('round-trips many records with large values (compression %s)', async (compression) => {
    const inputs = Array.from({ length: 5000 }, (_, i) => ({
      key: `key-${i}`,
      value: i % 100 === 0 ? Buffer.alloc(70_000, i % 256) : `value-${i}`,
      timestamp: T + BigInt(i * 1000),
    }));
    const batch = await buildRecordBatch({ compression, records: inputs });
    const { header, records } = await decodeRecordBatch(batch);
    expect(header.recordCount).toBe(5000);
    expect(header.lastOffsetDelta).toBe(4999);
    expect(header.maxTimestamp).toBe(T + 4_999_000n);
    expect(records).toHaveLength(5000);
    for (let i = 0; i < inputs.length; i += 97) {
      expect(records[i].offset).toBe(BigInt(i));
      expect(records[i].timestamp).toBe(inputs[i].timestamp);
      expect(str(records[i].key)).toBe(inputs[i].key);
      const want = inputs[i].value;
      expect(records[i].value?.equals(typeof want === 'string' ? Buffer.from(want) : want)).toBe(true);
    }
  });

  it('writes the producer fields and attribute bits', async () => {
    const batch = await buildRecordBatch({
      compression: CompressionType.Gzip,
      timestampType: 'logAppend',
      producerId: 9_007_199_254_740_993n,
      producerEpoch: 5,
      baseSequence: 42,
      transactional: true,
      records: [{ value: 'a', timestamp: T }],
    });
    const h = readBatchHeader(batch);
    expect(h.attributes).toBe(0x01 | 0x08 | 0x10);
    expect(h.producerId).toBe(9_007_199_254_740_993n);
    expect(h.producerEpoch).toBe(5);
    expect(h.baseSequence).toBe(42);
    expect(batchCrcMatches(batch)).toBe(true);
  });

  it('rejects an empty record list and unknown compression', async () => {
    await expect(buildRecordBatch({ records: [] })).rejects.toBeInstanceOf(RecordsError);
    await expect(buildRecordBatch({ compression: 7 as CompressionType, records: [{ value: 'a' }] })).rejects.toMatchObject({
      reason: 'unsupported-compression',
    });
  });

  it('shares memory with uncompressed input unless asked to copy', async () => {
    const batch = await buildRecordBatch({ records: [{ key: 'k', value: 'v' }] });
    const shared = await decodeRecordBatch(batch);
    const copied = await decodeRecordBatch(batch, { copy: true });
    batch[batch.length - 2] = 'w'.charCodeAt(0); // the value byte, just before the header count
    expect(shared.records[0].value!.toString()).toBe('w');
    expect(copied.records[0].value!.toString()).toBe('v');
  });

  it('decodes control batches and marks them', async () => {
    const batch = await buildRecordBatch({
      control: true,
      transactional: true,
      producerId: 10n,
      producerEpoch: 1,
      records: [endTxnMarker('commit', 4)],
    });
    const { header, records } = await decodeRecordBatch(batch);
    expect(header.isControl).toBe(true);
    expect(header.isTransactional).toBe(true);
    expect(controlRecordType(records[0].key)).toBe('commit');
    expect(records[0].value!.readInt32BE(2)).toBe(4);
    expect(controlRecordType(endTxnMarker('abort', 0).key as Buffer)).toBe('abort');
    expect(controlRecordType(null)).toBeNull();
  });

  it('applies LogAppendTime: every record takes the batch maxTimestamp', async () => {
    const batch = await buildRecordBatch({ records: mixed });
    stampLogAppendTime(batch, 0, T + 999n);
    expect(validateBatches(batch).problem.kind).toBe('ok');
    const { header, records } = await decodeRecordBatch(batch);
    expect(header.timestampType).toBe('logAppend');
    expect(header.maxTimestamp).toBe(T + 999n);
    expect(records.every((r) => r.timestamp === T + 999n)).toBe(true);
  });
});

describe('CRC', () => {
  it('reports a flipped byte anywhere in the CRC-covered range', async () => {
    const batch = await buildRecordBatch({ compression: CompressionType.Lz4, records: mixed });
    for (const at of [BATCH.attributes, BATCH.maxTimestamp + 3, BATCH.recordCount, batch.length - 1]) {
      const bad = Buffer.from(batch);
      bad[at] ^= 0x01;
      expect(validateBatches(bad).problem).toEqual({ kind: 'bad-crc', at: 0 });
      await expect(decodeRecordBatch(bad)).rejects.toMatchObject({ reason: 'bad-crc', kafkaErrorCode: 2 });
    }
  });

  it('does not cover baseOffset and partitionLeaderEpoch', async () => {
    const batch = await buildRecordBatch({ records: mixed });
    batch.writeBigInt64BE(123n, BATCH.baseOffset);
    batch.writeInt32BE(77, BATCH.partitionLeaderEpoch);
    expect(validateBatches(batch).problem.kind).toBe('ok');
  });
});

describe('hostile input', () => {
  const reject = (p: Promise<unknown>) => expect(p).rejects.toBeInstanceOf(RecordsError);

  it('rejects truncated batches at every length', async () => {
    const batch = await buildRecordBatch({ records: mixed });
    for (let len = 0; len < batch.length; len++) {
      await reject(decodeRecordBatch(batch.subarray(0, len)));
    }
  });

  it('rejects bad framing: short length, wrong magic, negative record count', async () => {
    const batch = await buildRecordBatch({ records: mixed });
    const short = Buffer.from(batch);
    short.writeInt32BE(10, BATCH.batchLength);
    await expect(decodeRecordBatch(short)).rejects.toMatchObject({ reason: 'corrupt' });
    const magic = Buffer.from(batch);
    magic.writeInt8(1, BATCH.magic);
    await expect(decodeRecordBatch(magic)).rejects.toMatchObject({ reason: 'bad-magic' });
    const negative = Buffer.from(batch);
    negative.writeInt32BE(-5, BATCH.recordCount);
    rewriteBatchCrc(negative);
    await expect(decodeRecordBatch(negative)).rejects.toMatchObject({ reason: 'corrupt' });
  });

  it('rejects a record count that the data cannot hold, without allocating for it', async () => {
    const body = rawRecord({});
    await reject(decodeRecordBatch(batchWithBody(body, 2 ** 31 - 1)));
    await reject(decodeRecordBatch(batchWithBody(Buffer.concat([body, body]), 3)));
    // fewer declared than present: bytes left over
    await expect(decodeRecordBatch(batchWithBody(Buffer.concat([body, body]), 1))).rejects.toMatchObject({ reason: 'corrupt' });
  });

  it('rejects negative and huge varint lengths', async () => {
    const cases = [
      rawRecord({ keyLen: -2 }),
      rawRecord({ keyLen: 2 ** 31 - 1 }),
      rawRecord({ valueLen: -(2 ** 31) }),
      rawRecord({ valueLen: 1_000_000 }),
      rawRecord({ headerCount: -1 }),
      rawRecord({ headerCount: 2 ** 30 }),
      rawRecord({ headerCount: 1, extra: Buffer.from([0x03, 0x00]) }), // header key length -2
      rawRecord({ headerCount: 1, extra: Buffer.from([0xfe, 0xff, 0xff, 0xff, 0x0f]) }), // key length 2^31-1
      rawRecord({ lengthDelta: 1 }),
      rawRecord({ lengthDelta: -1 }),
      rawRecord({ lengthDelta: 2 ** 30 }),
      Buffer.from([0x01, 0, 0, 0, 0, 0, 0, 0]), // record length -1
    ];
    for (const body of cases) {
      await reject(decodeRecordBatch(batchWithBody(body, 1)));
    }
  });

  it('rejects a compressed batch whose records disagree with its count', async () => {
    const body = rawRecord({});
    const packed = await compress(CompressionType.Zstd, Buffer.concat([body, body, body]));
    await expect(decodeRecordBatch(batchWithBody(packed, 2, CompressionType.Zstd))).rejects.toMatchObject({ reason: 'corrupt' });
    await expect(decodeRecordBatch(batchWithBody(packed, 4, CompressionType.Zstd))).rejects.toBeInstanceOf(RecordsError);
    expect((await decodeRecordBatch(batchWithBody(packed, 3, CompressionType.Zstd))).records).toHaveLength(3);
  });

  it('bounds decompression of a compression bomb', async () => {
    const bomb = await compress(CompressionType.Gzip, Buffer.alloc(4_000_000));
    await expect(decodeRecordBatch(batchWithBody(bomb, 1, CompressionType.Gzip), { maxDecompressedBytes: 1_000_000 })).rejects.toMatchObject(
      { reason: 'too-large' },
    );
  });

  it('rejects unknown compression codes in a batch', async () => {
    await expect(decodeRecordBatch(batchWithBody(rawRecord({}), 1, 6 as CompressionType))).rejects.toMatchObject({
      reason: 'unsupported-compression',
    });
  });

  it.each(ALL)('never throws anything but RecordsError on random corruption (compression %s)', async (compression) => {
    const batch = await buildRecordBatch({ compression, records: mixed });
    let seed = 0x9e3779b9 ^ compression;
    const rand = () => {
      seed = (seed * 1664525 + 1013904223) >>> 0;
      return seed;
    };
    for (let round = 0; round < 300; round++) {
      const bad = Buffer.from(batch);
      const flips = 1 + (rand() % 4);
      for (let f = 0; f < flips; f++) bad[BATCH.attributes + 2 + (rand() % (bad.length - BATCH.attributes - 2))] = rand() & 0xff;
      try {
        await decodeRecordBatch(bad, { verifyCrc: false });
      } catch (err) {
        expect(err).toBeInstanceOf(RecordsError);
      }
    }
  });
});

describe('decodeRecordBatches', () => {
  it('decodes concatenated batches and ignores a trailing partial one', async () => {
    const a = await buildRecordBatch({ baseOffset: 0n, records: mixed });
    const b = await buildRecordBatch({ baseOffset: 4n, compression: CompressionType.Snappy, records: [{ value: 'x' }] });
    const c = await buildRecordBatch({ baseOffset: 5n, records: [{ value: 'y' }] });
    const all = Buffer.concat([a, b, c]);
    for (const cut of [all.length, all.length - 1, all.length - c.length + 5, all.length - c.length + 60]) {
      const batches = await decodeRecordBatches(all.subarray(0, cut));
      expect(batches.map((x) => x.header.baseOffset)).toEqual(cut === all.length ? [0n, 4n, 5n] : [0n, 4n]);
    }
    expect(await decodeRecordBatches(Buffer.alloc(0))).toEqual([]);
  });

  it('throws on a batch length smaller than a header', async () => {
    const bad = Buffer.alloc(20);
    bad.writeInt32BE(3, BATCH.batchLength);
    await expect(decodeRecordBatches(bad)).rejects.toBeInstanceOf(RecordsError);
  });
});

describe('findOffsetByTimestamp', () => {
  it.each(ALL)('uses record timestamps, not the header (compression %s)', async (compression) => {
    const batch = await buildRecordBatch({ baseOffset: 50n, partitionLeaderEpoch: 3, compression, records: mixed });
    // pretend a client left maxTimestamp unset
    batch.writeBigInt64BE(-1n, BATCH.maxTimestamp);
    rewriteBatchCrc(batch);
    expect(await findOffsetByTimestamp(batch, T - 100n)).toEqual({ offset: 50n, timestamp: T + 10n, leaderEpoch: 3 });
    expect(await findOffsetByTimestamp(batch, T + 5n)).toEqual({ offset: 50n, timestamp: T + 10n, leaderEpoch: 3 });
    expect(await findOffsetByTimestamp(batch, T + 11n)).toBeNull();
    const ordered = await buildRecordBatch({
      baseOffset: 10n,
      compression,
      records: [0n, 5n, 5n, 9n].map((d) => ({ value: 'v', timestamp: T + d })),
    });
    expect(await findOffsetByTimestamp(ordered, T + 1n)).toMatchObject({ offset: 11n, timestamp: T + 5n });
    expect(await findOffsetByTimestamp(ordered, T + 9n)).toMatchObject({ offset: 13n, timestamp: T + 9n });
  });

  it('honours LogAppendTime batches', async () => {
    const batch = await buildRecordBatch({ baseOffset: 8n, records: mixed });
    stampLogAppendTime(batch, 0, T + 500n);
    expect(await findOffsetByTimestamp(batch, T + 400n)).toMatchObject({ offset: 8n, timestamp: T + 500n });
    expect(await findOffsetByTimestamp(batch, T + 500n)).toMatchObject({ offset: 8n, timestamp: T + 500n });
    expect(await findOffsetByTimestamp(batch, T + 501n)).toBeNull();
  });
});

describe('in-place rewrites', () => {
  it('assignOffsets rewrites only baseOffset and leader epoch and returns the next offset', async () => {
    const a = await buildRecordBatch({ compression: CompressionType.Gzip, records: mixed });
    const b = await buildRecordBatch({ records: [{ value: 'x' }] });
    const buf = Buffer.concat([a, b]);
    const before = Buffer.from(buf);
    const { positions } = validateBatches(buf);
    expect(assignOffsets(buf, positions, 1000n, 9)).toBe(1005n);
    expect(validateBatches(buf).problem.kind).toBe('ok');
    const decoded = await decodeRecordBatches(buf);
    expect(decoded.map((d) => d.header.partitionLeaderEpoch)).toEqual([9, 9]);
    expect(decoded.flatMap((d) => d.records.map((r) => r.offset))).toEqual([1000n, 1001n, 1002n, 1003n, 1004n]);
    for (const pos of positions) {
      expect(buf.subarray(pos + BATCH.magic, pos + readBatchHeader(buf, pos).sizeInBytes)).toEqual(
        before.subarray(pos + BATCH.magic, pos + readBatchHeader(before, pos).sizeInBytes),
      );
    }
  });

  it('assignOffsets refuses inconsistent batches and leaves the buffer untouched', async () => {
    const a = await buildRecordBatch({ records: mixed });
    const b = await buildRecordBatch({ records: mixed });
    b.writeInt32BE(7, BATCH.lastOffsetDelta);
    rewriteBatchCrc(b);
    const buf = Buffer.concat([a, b]);
    const before = Buffer.from(buf);
    expect(() => assignOffsets(buf, [0, a.length], 10n, 1)).toThrow(expect.objectContaining({ reason: 'invalid-record' }));
    expect(buf.equals(before)).toBe(true);
    expect(() => assignOffsets(buf, [a.length + 1], 10n, 1)).toThrow(RecordsError);
  });

  it('stampLogAppendTime works at a position inside a larger buffer', async () => {
    const a = await buildRecordBatch({ records: [{ value: 'a' }] });
    const b = await buildRecordBatch({ compression: CompressionType.Zstd, records: mixed });
    const buf = Buffer.concat([a, b]);
    stampLogAppendTime(buf, a.length, 42n);
    expect(validateBatches(buf).problem.kind).toBe('ok');
    expect(buf.subarray(0, a.length).equals(a)).toBe(true);
    const h = readBatchHeader(buf, a.length);
    expect(h.attributes & 0x0f).toBe(0x08 | CompressionType.Zstd);
    expect(h.maxTimestamp).toBe(42n);
    expect(() => stampLogAppendTime(buf, buf.length - 10, 1n)).toThrow(RecordsError);
  });
});

describe('wholeBatchHeaders', () => {
  it('lists the whole batches of a fetched records field and leaves out a trailing partial one', async () => {
    const a = await buildRecordBatch({ baseOffset: 10n, records: [{ value: Buffer.from('a') }, { value: Buffer.from('b') }] });
    const b = await buildRecordBatch({ baseOffset: 12n, records: [{ value: Buffer.from('c') }] });
    const both = Buffer.concat([a, b]);
    expect(wholeBatchHeaders(both).map((h) => [h.baseOffset, h.recordCount, h.sizeInBytes])).toEqual([[10n, 2, a.length], [12n, 1, b.length]]);
    for (const cut of [both.length - 1, a.length + 20, a.length + 3]) {
      expect(wholeBatchHeaders(both.subarray(0, cut)).map((h) => h.baseOffset)).toEqual([10n]);
    }
    expect(wholeBatchHeaders(Buffer.alloc(0))).toEqual([]);
    expect(wholeBatchHeaders(a.subarray(0, a.length - 1))).toEqual([]);
  });
});
