import { buildRecordBatch, decodeRecordBatches, endTxnMarker } from '@dms/kafka-codec';
import { AbortedTransactionFilter } from './read-committed';

async function at(baseOffset: bigint, opts: { producerId: bigint; values?: string[]; marker?: 'abort' | 'commit' }) {
  const buf = await buildRecordBatch({
    baseOffset, producerId: opts.producerId, producerEpoch: 0, transactional: true, control: opts.marker !== undefined,
    records: opts.marker ? [endTxnMarker(opts.marker, 0)] : (opts.values ?? []).map((value) => ({ value })),
  });
  return (await decodeRecordBatches(buf))[0];
}

describe('AbortedTransactionFilter (read_committed)', () => {
  it("drops an aborted producer's batches from its first offset to its ABORT marker, keeps committed ones and control batches out", async () => {
    const log = [
      await at(0n, { producerId: 7n, values: ['kept-1'] }),
      await at(1n, { producerId: 8n, values: ['aborted-1'] }),
      await at(2n, { producerId: 7n, marker: 'commit' }),
      await at(3n, { producerId: 8n, values: ['aborted-2'] }),
      await at(4n, { producerId: 8n, marker: 'abort' }),
      await at(5n, { producerId: 8n, values: ['kept-2'] }),
    ];
    const filter = new AbortedTransactionFilter([{ producerId: 8n, firstOffset: 1n }]);
    const kept = log.filter((b) => filter.keep(b)).flatMap((b) => b.records.map((r) => r.value!.toString()));
    expect(kept).toEqual(['kept-1', 'kept-2']);
  });

  it('with no aborted transactions keeps every data batch', async () => {
    const filter = new AbortedTransactionFilter([]);
    expect(filter.keep(await at(0n, { producerId: 8n, values: ['a'] }))).toBe(true);
    expect(filter.keep(await at(1n, { producerId: 8n, marker: 'abort' }))).toBe(false);
  });
});
