import { buildRecordBatch, readBatchHeader } from '@dms/kafka-codec';
import { ErrorCode } from '@dms/kafka-errors';
import { RelayStore } from './relay-store';

const batch = (records: number, size = 100, timestamp?: bigint) =>
  buildRecordBatch({ records: Array.from({ length: records }, () => ({ value: Buffer.alloc(size, 1), ...(timestamp !== undefined ? { timestamp } : {}) })) });
const part = (fetchOffset: bigint, partitionMaxBytes = 1 << 20) => ({ topic: 't', partition: 0, fetchOffset, partitionMaxBytes, currentLeaderEpoch: -1 });

describe('relay store', () => {
  it('assigns offsets like a leader and reads back from the batch holding an offset', async () => {
    const s = new RelayStore(1 << 20);
    s.create('t', 2, {});
    const [a] = s.produce([{ topic: 't', partition: 0, records: await batch(3) }]);
    const [b] = s.produce([{ topic: 't', partition: 0, records: await batch(2) }]);
    expect([a.baseOffset, b.baseOffset, a.errorCode]).toEqual([0n, 3n, ErrorCode.NONE]);
    expect(s.produce([{ topic: 'x', partition: 0, records: await batch(1) }])[0].errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    const [f] = await s.fetch({ maxWaitMs: 0, maxBytes: 1 << 20 }, [part(4n)]);
    expect(f).toMatchObject({ errorCode: ErrorCode.NONE, highWatermark: 5n, logStartOffset: 0n });
    expect(readBatchHeader(f.records).baseOffset).toBe(3n);
    const [all] = await s.fetch({ maxWaitMs: 0, maxBytes: 1 << 20 }, [part(0n)]);
    expect(all.records.length).toBe(f.records.length + (await batch(3)).length);
    const [end] = await s.fetch({ maxWaitMs: 0, maxBytes: 1 << 20 }, [part(5n)]);
    expect(end.records.length).toBe(0);
    expect((await s.fetch({ maxWaitMs: 0, maxBytes: 1 << 20 }, [part(6n)]))[0].errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
  });

  it('keeps a bounded ring: the oldest batches fall out and the log start moves up', async () => {
    const one = (await batch(1, 1000)).length;
    const s = new RelayStore(one * 3);
    s.create('t', 1, {});
    for (let i = 0; i < 5; i++) s.produce([{ topic: 't', partition: 0, records: await batch(1, 1000) }]);
    const [lo] = s.listOffsets([{ topic: 't', partition: 0, timestamp: -2n, currentLeaderEpoch: -1 }]);
    const [hi] = s.listOffsets([{ topic: 't', partition: 0, timestamp: -1n, currentLeaderEpoch: -1 }]);
    expect([lo.offset, hi.offset]).toEqual([2n, 5n]);
    expect((await s.fetch({ maxWaitMs: 0, maxBytes: 1 << 20 }, [part(1n)]))[0].errorCode).toBe(ErrorCode.OFFSET_OUT_OF_RANGE);
    // A fetch returns at least one batch, then stops at the partition's byte limit.
    const [f] = await s.fetch({ maxWaitMs: 0, maxBytes: 1 << 20 }, [part(2n, 10)]);
    expect(f.records.length).toBe(one);
  });

  it('keeps its own copy of a batch, not the larger buffer the request was read into', async () => {
    const s = new RelayStore(1 << 20);
    s.create('t', 1, {});
    const b = await batch(1);
    const socketRead = Buffer.alloc(1 << 20);
    b.copy(socketRead, 1000);
    s.produce([{ topic: 't', partition: 0, records: socketRead.subarray(1000, 1000 + b.length) }]);
    const [f] = await s.fetch({ maxWaitMs: 0, maxBytes: 1 << 20 }, [part(0n)]);
    expect(f.records.buffer).not.toBe(socketRead.buffer);
    expect(f.records.buffer.byteLength).toBeLessThan(1 << 16);
    expect(readBatchHeader(f.records).recordCount).toBe(1);
  });

  it('finds an offset by timestamp at batch granularity', async () => {
    const s = new RelayStore(1 << 20);
    s.create('t', 1, {});
    s.produce([{ topic: 't', partition: 0, records: await batch(2, 10, 1000n) }]);
    s.produce([{ topic: 't', partition: 0, records: await batch(2, 10, 2000n) }]);
    const at = (timestamp: bigint) => s.listOffsets([{ topic: 't', partition: 0, timestamp, currentLeaderEpoch: -1 }])[0].offset;
    expect([at(500n), at(1000n), at(1500n), at(3000n)]).toEqual([0n, 0n, 2n, 4n]);
  });

  it('parks a fetch at the end until the next append, or answers empty after maxWaitMs', async () => {
    const s = new RelayStore(1 << 20);
    s.create('t', 1, {});
    const t0 = performance.now();
    const [empty] = await s.fetch({ maxWaitMs: 50, maxBytes: 1 << 20 }, [part(0n)]);
    expect(empty.records.length).toBe(0);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(45);
    const parked = s.fetch({ maxWaitMs: 10_000, maxBytes: 1 << 20 }, [part(0n)]);
    const appended = await batch(1);
    const t1 = performance.now();
    s.produce([{ topic: 't', partition: 0, records: appended }]);
    const [woken] = await parked;
    expect(performance.now() - t1).toBeLessThan(1000);
    expect(readBatchHeader(woken.records).recordCount).toBe(1);
  });
});
