import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BATCH, buildRecordBatch, decodeRecordBatches, rewriteBatchCrc } from '@dms/kafka-codec';

/** Spec helpers: real magic-2 batches from the codec, and throwaway directories. */

export interface TestBatchOptions {
  records?: number;
  /** Timestamp of the first record; the others follow 1 ms apart. */
  timestamp?: bigint;
  valueBytes?: number;
  /** Leaves maxTimestamp at -1 the way some clients do (CRC kept valid). */
  unsetMaxTimestamp?: boolean;
  tag?: string;
}

export async function testBatch(opts: TestBatchOptions = {}): Promise<Buffer> {
  const n = opts.records ?? 3;
  const ts = opts.timestamp ?? 1_700_000_000_000n;
  const value = Buffer.alloc(opts.valueBytes ?? 20, opts.tag ?? 'v');
  const batch = await buildRecordBatch({
    records: Array.from({ length: n }, (_, i) => ({ key: `${opts.tag ?? 'k'}-${i}`, value, timestamp: ts + BigInt(i) })),
  });
  if (opts.unsetMaxTimestamp) {
    batch.writeBigInt64BE(-1n, BATCH.maxTimestamp);
    rewriteBatchCrc(batch, 0);
  }
  return batch;
}

/** Keys of every record in a buffer of batches, with their offsets. */
export async function recordKeys(buf: Buffer): Promise<{ offset: bigint; key: string }[]> {
  const batches = await decodeRecordBatches(buf);
  return batches.flatMap((b) => b.records.map((r) => ({ offset: r.offset, key: r.key?.toString() ?? '' })));
}

export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'dms-log-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
