import type { ClusterView } from '@dms/cluster';
import { ErrorCode } from '@dms/kafka-errors';
import type { Logger } from '@dms/platform';
import { type ListOffsetsPartition, unary } from '@dms/rpc';
import type { RecordTimestamp } from './record-timestamp';
import type { StorageClients } from './storage-clients';

export interface PartitionEnds {
  logStartOffset: bigint;
  highWatermark: bigint;
}

/** One partition asked of its leader: its ends, and the record timestamps at some offsets. */
export interface EndsAsk {
  topic: string;
  partition: number;
  /** Offsets whose record timestamp is wanted (committed offsets not known from earlier rounds). */
  recordsAt?: readonly bigint[];
}

/** What a leader answered for one partition. */
export interface RemoteEnds extends PartitionEnds {
  /** Per offset asked: its record's timestamp, or null when the leader holds no record there (caught up). */
  records: Map<bigint, RecordTimestamp | null>;
}

export const tpKey = (topic: string, partition: number): string => `${topic}\0${partition}`;

const LATEST = -1n;
const EARLIEST = -2n;

/**
 * High watermarks and log start offsets of partitions led by other brokers, and the timestamps of
 * the records at the offsets asked, from their leaders over StorageService.ListOffsets: one call
 * per leader for all its partitions. Partitions without a live leader, and those whose leader
 * failed to answer, are absent from the result.
 */
export async function fetchPartitionEnds(
  view: ClusterView,
  clients: StorageClients,
  partitions: readonly EndsAsk[],
  timeoutMs: number,
  logger: Logger,
): Promise<Map<string, RemoteEnds>> {
  const byLeader = new Map<number, EndsAsk[]>();
  for (const tp of partitions) {
    const leader = view.topic(tp.topic) ? view.partitions(tp.topic).get(tp.partition)?.leader ?? -1 : -1;
    if (leader < 0) continue;
    const list = byLeader.get(leader) ?? [];
    list.push(tp);
    byLeader.set(leader, list);
  }
  const out = new Map<string, RemoteEnds>();
  await Promise.all(
    [...byLeader].map(async ([leader, tps]) => {
      const client = clients.of(leader);
      if (!client) return;
      // Asked in this order per partition: latest, earliest, then one entry per record offset.
      const asks: ListOffsetsPartition[] = tps.flatMap(({ topic, partition, recordsAt = [] }) => [
        { topic, partition, timestamp: LATEST, currentLeaderEpoch: -1 },
        { topic, partition, timestamp: EARLIEST, currentLeaderEpoch: -1 },
        ...recordsAt.map((recordAtOffset) => ({ topic, partition, timestamp: LATEST, currentLeaderEpoch: -1, recordAtOffset })),
      ]);
      try {
        const res = await unary(client.listOffsets.bind(client), { isolationLevel: 0, partitions: asks, traceContext: {} }, { timeoutMs });
        const latest = new Map<string, bigint>();
        const earliest = new Map<string, bigint>();
        const records = new Map<string, Map<bigint, RecordTimestamp | null>>();
        res.partitions.forEach((p, i) => {
          const ask = asks[i];
          if (p.errorCode !== ErrorCode.NONE || !ask) return;
          const key = tpKey(p.topic, p.partition);
          if (ask.recordAtOffset !== undefined) {
            const m = records.get(key) ?? new Map<bigint, RecordTimestamp | null>();
            m.set(ask.recordAtOffset, p.offset < 0n ? null : { offset: p.offset, timestamp: Number(p.timestamp) });
            records.set(key, m);
          } else (ask.timestamp === LATEST ? latest : earliest).set(key, p.offset);
        });
        for (const [key, highWatermark] of latest) {
          const logStartOffset = earliest.get(key);
          if (logStartOffset !== undefined) out.set(key, { highWatermark, logStartOffset, records: records.get(key) ?? new Map() });
        }
      } catch (err) {
        logger.warn({ err: (err as Error).message, leader }, 'end offsets for consumer lag: the leader did not answer; next round asks again');
      }
    }),
  );
  return out;
}
