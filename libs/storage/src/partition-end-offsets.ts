import type { ClusterView } from '@dms/cluster';
import { ErrorCode } from '@dms/kafka-errors';
import type { Logger } from '@dms/platform';
import { unary } from '@dms/rpc';
import type { StorageClients } from './storage-clients';

export interface PartitionEnds {
  logStartOffset: bigint;
  highWatermark: bigint;
}

export const tpKey = (topic: string, partition: number): string => `${topic}\0${partition}`;

const LATEST = -1n;
const EARLIEST = -2n;

/**
 * High watermarks and log start offsets of partitions led by other brokers, asked of their leaders
 * over StorageService.ListOffsets: one call per leader for all its partitions. Partitions without
 * a live leader, and those whose leader failed to answer, are absent from the result.
 */
export async function fetchPartitionEnds(
  view: ClusterView,
  clients: StorageClients,
  partitions: ReadonlyArray<{ topic: string; partition: number }>,
  timeoutMs: number,
  logger: Logger,
): Promise<Map<string, PartitionEnds>> {
  const byLeader = new Map<number, Array<{ topic: string; partition: number }>>();
  for (const tp of partitions) {
    const leader = view.topic(tp.topic) ? view.partitions(tp.topic).get(tp.partition)?.leader ?? -1 : -1;
    if (leader < 0) continue;
    const list = byLeader.get(leader) ?? [];
    list.push(tp);
    byLeader.set(leader, list);
  }
  const out = new Map<string, PartitionEnds>();
  await Promise.all(
    [...byLeader].map(async ([leader, tps]) => {
      const client = clients.of(leader);
      if (!client) return;
      try {
        const res = await unary(
          client.listOffsets.bind(client),
          {
            isolationLevel: 0,
            partitions: tps.flatMap((tp) => [LATEST, EARLIEST].map((timestamp) => ({ ...tp, timestamp, currentLeaderEpoch: -1 }))),
            traceContext: {},
          },
          { timeoutMs },
        );
        const latest = new Map<string, bigint>();
        const earliest = new Map<string, bigint>();
        // Answers come in the order asked: latest then earliest for each partition.
        res.partitions.forEach((p, i) => {
          if (p.errorCode !== ErrorCode.NONE) return;
          (i % 2 === 0 ? latest : earliest).set(tpKey(p.topic, p.partition), p.offset);
        });
        for (const [key, highWatermark] of latest) {
          const logStartOffset = earliest.get(key);
          if (logStartOffset !== undefined) out.set(key, { highWatermark, logStartOffset });
        }
      } catch (err) {
        logger.warn({ err: (err as Error).message, leader }, 'end offsets for consumer lag: the leader did not answer; next round asks again');
      }
    }),
  );
  return out;
}
