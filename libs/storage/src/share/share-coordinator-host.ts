import type { ServerUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { Tracer } from '@opentelemetry/api';
import type { ClusterView } from '@dms/cluster';
import { SHARE_STATE_TOPIC, ShareCoordinator, type StateBatch } from '@dms/groups';
import type { Logger } from '@dms/platform';
import { grpcError, traced, type ShareStateServiceServer } from '@dms/rpc';
import { CoordinatorPartitionHost } from '../coordinator-partition-host';
import type { ReplicaManager } from '../replica-manager';

export interface ShareCoordinatorHostOptions {
  brokerId: number;
  selfAddress: () => string;
  updatesPerSnapshot?: number;
  tracer: Tracer;
  logger: Logger;
}

const noKey = { groupId: '', topicId: '', partition: -1 };
const batches = (list: { firstOffset: bigint; lastOffset: bigint; deliveryState: number; deliveryCount: number }[]): StateBatch[] =>
  list.map((b) => ({ firstOffset: b.firstOffset, lastOffset: b.lastOffset, deliveryState: b.deliveryState as StateBatch['deliveryState'], deliveryCount: b.deliveryCount }));

/**
 * Hosts the share coordinator on a storage broker: the __share_group_state partitions this broker
 * leads (loaded by replay through CoordinatorPartitionHost, appended with acks=all) and the gRPC
 * face share-partition leaders call (Kafka's Initialize/Read/Write/DeleteShareGroupState).
 */
export class ShareCoordinatorHost {
  readonly coordinator: ShareCoordinator;
  private readonly partitions: CoordinatorPartitionHost;

  constructor(view: ClusterView, replicas: ReplicaManager, private readonly opts: ShareCoordinatorHostOptions) {
    this.partitions = new CoordinatorPartitionHost(view, replicas, {
      topic: SHARE_STATE_TOPIC, brokerId: opts.brokerId, selfAddress: opts.selfAddress, logger: opts.logger,
    });
    this.coordinator = new ShareCoordinator({
      log: this.partitions.log,
      numPartitions: () => this.partitions.numPartitions(),
      ...(opts.updatesPerSnapshot !== undefined ? { updatesPerSnapshot: opts.updatesPerSnapshot } : {}),
      onError: (err, what) => opts.logger.warn({ err }, what),
    });
  }

  start(): void {
    this.partitions.start(this.coordinator.runtime);
  }

  close(): void {
    this.partitions.close();
    this.coordinator.close();
  }

  service(): ShareStateServiceServer {
    const c = this.coordinator;
    const impl: ShareStateServiceServer = {
      initializeShareState: unary((r) => c.initialize(r.key ?? noKey, r.stateEpoch, r.startOffset)),
      readShareState: unary((r) => c.read(r.key ?? noKey, r.leaderEpoch)),
      writeShareState: unary((r) => c.write({ key: r.key ?? noKey, leaderEpoch: r.leaderEpoch, stateEpoch: r.stateEpoch, startOffset: r.startOffset, stateBatches: batches(r.stateBatches) })),
      deleteShareState: unary((r) => c.delete(r.key ?? noKey)),
      readShareGroupOffsets: unary((r) => ({ offsets: c.readGroup(r.groupId) })),
    };
    return traced(impl, this.opts.tracer, { serviceName: 'dms.share.v1.ShareStateService' });
  }
}

function unary<Req, Res>(fn: (req: Req) => unknown) {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
    Promise.resolve()
      .then(() => fn(call.request))
      .then(
        (res) => callback(null, toWire(res) as Res),
        (err: unknown) => callback(grpcError(GrpcStatus.INTERNAL, `share coordinator failed: ${err instanceof Error ? err.message : String(err)}`)),
      );
  };
}

/** Nullable messages are proto3 optional fields: null becomes absent. */
function toWire(res: unknown): unknown {
  if (res && typeof res === 'object' && 'errorMessage' in res && (res as { errorMessage: unknown }).errorMessage === null) {
    const { errorMessage: _omit, ...rest } = res as Record<string, unknown>;
    return rest;
  }
  return res;
}
