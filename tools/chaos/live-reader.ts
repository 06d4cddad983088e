import { decodeRecordBatches } from '@dms/kafka-codec';
import { ErrorCode, KafkaError } from '@dms/kafka-errors';
import type { KafkaClient } from '@dms/kafka-client';
import type { ReadCheck, SeenRecord } from './read-check';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One consumer per partition that reads from offset 0 onwards while the faults run, never seeking,
 * and hands every fetch answer to `check`. Errors (a leader moving, a gateway down) are retried
 * at the same position. Runs until `running()` turns false.
 */
export function liveReaders(client: KafkaClient, topic: string, partitions: number, check: ReadCheck, running: () => boolean): Promise<void>[] {
  return Array.from({ length: partitions }, async (_, partition) => {
    let position = 0n;
    while (running()) {
      try {
        const res = await client.fetch(topic, partition, position, 1 << 20, 500);
        const records: SeenRecord[] = [];
        for (const b of await decodeRecordBatches(res.records)) {
          if (b.header.isControl) continue;
          for (const r of b.records) records.push({ offset: r.offset, value: r.value?.toString() ?? '' });
        }
        position = check.observe(partition, position, res.highWatermark, records);
      } catch (e) {
        if (e instanceof KafkaError && e.code === ErrorCode.OFFSET_OUT_OF_RANGE) check.outOfRange(partition, position);
        await sleep(200);
      }
    }
  });
}
