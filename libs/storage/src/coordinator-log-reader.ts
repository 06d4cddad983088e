import { decodeRecordBatches } from '@dms/kafka-codec';
import type { CoordinatorRecord } from '@dms/groups';
import type { PartitionLog } from '@dms/log';

const READ_CHUNK_BYTES = 1 << 20;

/**
 * Every keyed record of an internal topic's log (__consumer_offsets), oldest first, up to its end
 * when the read started; control records left out. The log may be compacted: offsets have gaps
 * and a batch may keep fewer records than its offset range, so reading moves on by each batch's
 * last offset. Tombstones come through with a null value for the replay to delete.
 */
export async function* readCoordinatorRecords(log: PartitionLog): AsyncIterable<CoordinatorRecord> {
  const end = log.logEndOffset;
  let offset = log.logStartOffset;
  while (offset < end) {
    const { records } = await log.read(offset, READ_CHUNK_BYTES, { upperBound: end, minOneBatch: true });
    if (records.length === 0) break;
    for (const batch of await decodeRecordBatches(records)) {
      const next = batch.header.baseOffset + BigInt(batch.header.lastOffsetDelta) + 1n;
      if (next > offset) offset = next;
      if (batch.header.isControl) continue;
      for (const r of batch.records) if (r.key) yield { key: r.key, value: r.value };
    }
  }
}
