import { buildRecordBatch } from '@dms/kafka-codec';
import { applyFetchBudget, wholeBatchesWithin } from './fetch-budget';

async function batches(...sizes: number[]): Promise<Buffer> {
  return Buffer.concat(await Promise.all(sizes.map((n, i) => buildRecordBatch({ baseOffset: BigInt(i), records: [{ value: Buffer.alloc(n, i) }] }))));
}

function run(parts: { records: Buffer; partitionMaxBytes: number }[], maxBytes: number): Buffer[] {
  const out = parts.map((p) => p.records);
  applyFetchBudget(parts, maxBytes, (i, r) => (out[i] = r));
  return out;
}

describe('applyFetchBudget (KIP-74 over a merged answer)', () => {
  it('keeps the whole answer within max_bytes except the first batch of the first non-empty partition', async () => {
    const big = await batches(1_000_000);
    const out = run([0, 1, 2].map(() => ({ records: big, partitionMaxBytes: 2 << 20 })), 1 << 20);
    expect(out.map((r) => r.length)).toEqual([big.length, 0, 0]);
  });

  it('lets the first batch exceed both limits, never later ones', async () => {
    const p0 = await batches(5_000, 100);
    const out = run([{ records: Buffer.alloc(0), partitionMaxBytes: 100 }, { records: p0, partitionMaxBytes: 100 }, { records: p0, partitionMaxBytes: 100 }], 200);
    expect(wholeBatchesWithin(p0, 100)).toBe(0);
    expect(out[1].length).toBe(p0.readInt32BE(8) + 12); // only the first batch: the second does not fit in 100 bytes
    expect(out[2].length).toBe(0);
  });

  it('spends what is left of max_bytes in request order, each partition within its own limit, whole batches only', async () => {
    const small = await batches(100, 100, 100); // ~170 bytes each
    const one = small.readInt32BE(8) + 12;
    const out = run([
      { records: small, partitionMaxBytes: 10_000 },
      { records: small, partitionMaxBytes: one + 10 },
      { records: small, partitionMaxBytes: 10_000 },
    ], one * 4 + 5);
    expect(out.map((r) => r.length)).toEqual([one * 3, one, 0]);
    const total = out.reduce((n, r) => n + r.length, 0);
    expect(total).toBeLessThanOrEqual(one * 4 + 5);
  });

  it('leaves answers already within the budget untouched (same buffers)', async () => {
    const small = await batches(10, 10);
    const parts = [{ records: small, partitionMaxBytes: 1 << 20 }, { records: small, partitionMaxBytes: 1 << 20 }];
    const out = run(parts, 1 << 20);
    expect(out[0]).toBe(small);
    expect(out[1]).toBe(small);
  });

  it('treats max_bytes <= 0 as no response-wide limit', async () => {
    const small = await batches(10);
    expect(run([{ records: small, partitionMaxBytes: 1 << 20 }, { records: small, partitionMaxBytes: 1 << 20 }], 0).map((r) => r.length)).toEqual([small.length, small.length]);
  });
});
