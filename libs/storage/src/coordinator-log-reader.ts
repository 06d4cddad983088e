import { controlRecordType, decodeRecordBatches } from '@dms/kafka-codec';
import type { CoordinatorRecord, ReplayEntry } from '@dms/groups';
import type { PartitionLog } from '@dms/log';

const READ_CHUNK_BYTES = 1 << 20;

/**
 * Every keyed record of an internal topic's log (__consumer_offsets), oldest first, up to its end
 * when the read started, each with its offset, its batch's producer id and whether that batch is
 * transactional; and the transaction markers (COMMIT/ABORT control records) with their producer,
 * so a replay resolves transactional records exactly as the live coordinator did. Other control
 * records are left out. The log may be compacted: offsets have gaps and a batch may keep fewer
 * records than its offset range, so reading moves on by each batch's last offset. Tombstones come
 * through with a null value for the replay to delete.
 */
export async function* readCoordinatorLog(log: PartitionLog): AsyncIterable<ReplayEntry> {
  const end = log.logEndOffset;
  let offset = log.logStartOffset;
  while (offset < end) {
    const { records } = await log.read(offset, READ_CHUNK_BYTES, { upperBound: end, minOneBatch: true });
    if (records.length === 0) break;
    for (const batch of await decodeRecordBatches(records)) {
      const { baseOffset, lastOffsetDelta, producerId, isControl, isTransactional } = batch.header;
      const next = baseOffset + BigInt(lastOffsetDelta) + 1n;
      if (next > offset) offset = next;
      for (const r of batch.records) {
        if (isControl) {
          const marker = controlRecordType(r.key);
          if (marker) yield { marker, producerId, offset: r.offset };
        } else if (r.key) {
          yield { key: r.key, value: r.value, offset: r.offset, producerId, transactional: isTransactional };
        }
      }
    }
  }
}

/** The keyed records alone (control records and batch details left out), for shards without transactions. */
export async function* readCoordinatorRecords(log: PartitionLog): AsyncIterable<CoordinatorRecord> {
  for await (const e of readCoordinatorLog(log)) if (!('marker' in e)) yield { key: e.key, value: e.value };
}
