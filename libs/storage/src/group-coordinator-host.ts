import type { ServerUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { Tracer } from '@opentelemetry/api';
import type { ClusterView } from '@dms/cluster';
import { groupConfigOverrides } from '@dms/configs';
import {
  GroupCoordinator, OFFSETS_TOPIC, describedToRpc, heartbeatFromRpc, heartbeatResultToRpc, type GroupCoordinatorConfig, type ReplayEntry, type ShareGroupConfig,
} from '@dms/groups';
import type { Logger } from '@dms/platform';
import { grpcError, traced, type GroupCoordinatorServiceServer } from '@dms/rpc';
import { CoordinatorPartitionHost } from './coordinator-partition-host';
import { readCoordinatorLog } from './coordinator-log-reader';
import type { ReplicaManager } from './replica-manager';

export interface GroupCoordinatorHostOptions {
  brokerId: number;
  /** host:port of this broker's own gRPC server (known once bound): appends take the produce path. */
  selfAddress: () => string;
  config: Partial<GroupCoordinatorConfig>;
  /** Share-group settings (group.share.*). */
  share?: Partial<ShareGroupConfig>;
  tracer: Tracer;
  logger: Logger;
}

/**
 * Hosts the group coordinator on a storage broker: the __consumer_offsets partitions this broker
 * leads (through CoordinatorPartitionHost, replaying records and transaction markers), appends
 * through the broker's own Produce path with acks=all, and the gRPC face gateways call.
 */
export class GroupCoordinatorHost {
  readonly coordinator: GroupCoordinator;
  private readonly partitions: CoordinatorPartitionHost<ReplayEntry>;
  private closed = false;

  constructor(view: ClusterView, replicas: ReplicaManager, private readonly opts: GroupCoordinatorHostOptions) {
    this.partitions = new CoordinatorPartitionHost<ReplayEntry>(view, replicas, {
      topic: OFFSETS_TOPIC, brokerId: opts.brokerId, selfAddress: opts.selfAddress, logger: opts.logger, readLog: readCoordinatorLog,
    });
    const log = this.partitions.log;
    this.coordinator = new GroupCoordinator({
      log: {
        read: (partition, epoch) => log.read(partition, epoch),
        append: async (partition, records, txn) => {
          const out = await log.append(partition, -1, records, txn);
          return typeof out === 'number' ? { errorCode: out, baseOffset: -1n } : out;
        },
      },
      numPartitions: () => this.partitions.numPartitions(),
      topics: () => new Map([...view.topics()].map(([name, t]) => [name, { topicId: t.topicId, numPartitions: t.partitions }])),
      config: opts.config,
      ...(opts.share ? { share: opts.share } : {}),
      groupConfig: (groupId) => groupConfigOverrides(view.groupConfigs(groupId)),
      topic: (name) => {
        const t = view.topic(name);
        return t ? { topicId: t.topicId, partitions: t.partitions } : undefined;
      },
      onError: (err, what) => opts.logger.warn({ err }, what),
    });
  }

  /** Call once the broker's gRPC server is bound. */
  start(): void {
    this.coordinator.start();
    this.partitions.start(this.coordinator.runtime);
  }

  close(): void {
    this.closed = true;
    this.partitions.close();
    this.coordinator.close();
  }

  /** The gRPC face gateways call. */
  service(): GroupCoordinatorServiceServer {
    const c = this.coordinator;
    const impl: GroupCoordinatorServiceServer = {
      joinGroup: unary((r) => c.joinGroup(r)),
      syncGroup: unary((r) => c.syncGroup(r)),
      heartbeat: unary((r) => c.heartbeat(r)),
      leaveGroup: unary((r) => c.leaveGroup(r)),
      offsetCommit: unary((r) => c.offsetCommit(r)),
      txnOffsetCommit: unary((r) => c.txnOffsetCommit(r)),
      offsetFetch: unary((r) => c.offsetFetch(r)),
      offsetDelete: unary((r) => c.offsetDelete(r)),
      describeGroups: unary((r) => ({ groups: c.describeGroups(r.groupIds) })),
      listGroups: unary((r) => c.listGroups(r.statesFilter)),
      deleteGroups: unary(async (r) => ({ results: await c.deleteGroups(r.groupIds) })),
      consumerGroupHeartbeat: unary(async (r) => heartbeatResultToRpc(await c.consumerGroupHeartbeat(heartbeatFromRpc(r)))),
      consumerGroupDescribe: unary((r) => ({ groups: c.consumerGroupDescribe(r.groupIds).map(describedToRpc) })),
    };
    return traced(impl, this.opts.tracer, { serviceName: 'dms.groups.v1.GroupCoordinatorService' });
  }

  /**
   * A transaction marker was written to a partition this broker leads and replicated to the ISR
   * (the storage service's onTxnMarker): on __consumer_offsets it ends the producer's pending
   * transactional offset commits there.
   */
  onTxnMarker(m: { topic: string; partition: number; producerId: bigint; committed: boolean; offset: bigint }): void {
    if (m.topic !== OFFSETS_TOPIC || this.closed) return;
    this.coordinator.onTxnMarker(m.partition, m.producerId, m.committed, m.offset);
  }
}

function unary<Req, Res>(fn: (req: Req) => Res | Promise<Res>) {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
    Promise.resolve()
      .then(() => fn(call.request))
      .then(
        (res) => callback(null, res),
        (err: unknown) => callback(grpcError(GrpcStatus.INTERNAL, `group coordinator failed: ${err instanceof Error ? err.message : String(err)}`)),
      );
  };
}
