import type { ClusterView } from '@dms/cluster';
import { ErrorCode } from '@dms/kafka-errors';
import type { Logger } from '@dms/platform';
import { unary } from '@dms/rpc';
import type { TopicPartition, TxnMarker, TxnMarkerWriter } from '@dms/transactions';
import { StorageClients } from './storage-clients';

const MARKER_TIMEOUT_MS = 10_000;

type Result = TopicPartition & { errorCode: number };

/**
 * Sends transaction markers to the partition leaders (StorageService.WriteTxnMarkers), one call
 * per leader broker for all its partitions. A partition without a live leader answers
 * NOT_LEADER_OR_FOLLOWER (the coordinator retries); one whose topic is gone answers NONE.
 */
export class TxnMarkerSender implements TxnMarkerWriter {
  private readonly clients: StorageClients;

  constructor(
    private readonly view: ClusterView,
    private readonly logger: Logger,
  ) {
    this.clients = new StorageClients(view);
  }

  async write(marker: TxnMarker, partitions: TopicPartition[]): Promise<Result[]> {
    const results: Result[] = [];
    const byLeader = new Map<number, TopicPartition[]>();
    for (const tp of partitions) {
      const state = this.view.topic(tp.topic) ? this.view.partitions(tp.topic).get(tp.partition) : undefined;
      if (!state) {
        this.logger.warn({ ...tp, producerId: marker.producerId }, 'transaction marker for a partition that no longer exists: skipped');
        results.push({ ...tp, errorCode: ErrorCode.NONE });
        continue;
      }
      if (state.leader < 0 || !this.view.broker(state.leader)) {
        results.push({ ...tp, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER });
        continue;
      }
      const list = byLeader.get(state.leader) ?? [];
      list.push(tp);
      byLeader.set(state.leader, list);
    }
    const answers = await Promise.all([...byLeader].map(([leader, tps]) => this.send(leader, marker, tps)));
    return results.concat(...answers);
  }

  close(): void {
    this.clients.close();
  }

  private async send(leader: number, marker: TxnMarker, tps: TopicPartition[]): Promise<Result[]> {
    const client = this.clients.of(leader);
    if (!client) return tps.map((tp) => ({ ...tp, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER }));
    try {
      const res = await unary(
        client.writeTxnMarkers.bind(client),
        { markers: [{ ...marker, partitions: tps }], timeoutMs: MARKER_TIMEOUT_MS, traceContext: {} },
        { timeoutMs: MARKER_TIMEOUT_MS + 2_000 },
      );
      const codes = new Map((res.markers[0]?.partitions ?? []).map((p) => [`${p.topic}\0${p.partition}`, p.errorCode]));
      return tps.map((tp) => ({ ...tp, errorCode: codes.get(`${tp.topic}\0${tp.partition}`) ?? ErrorCode.UNKNOWN_SERVER_ERROR }));
    } catch (err) {
      this.logger.warn({ err, leader, producerId: marker.producerId }, 'writing transaction markers failed; will retry');
      return tps.map((tp) => ({ ...tp, errorCode: ErrorCode.REQUEST_TIMED_OUT }));
    }
  }
}
