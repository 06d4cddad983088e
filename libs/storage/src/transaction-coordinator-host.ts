import type { ServerUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { Meter, Tracer } from '@opentelemetry/api';
import type { ClusterView } from '@dms/cluster';
import { ErrorCode, KafkaError } from '@dms/kafka-errors';
import type { Logger } from '@dms/platform';
import { grpcError, traced, type TransactionCoordinatorServiceServer } from '@dms/rpc';
import {
  ProducerIdSource,
  TRANSACTION_STATE_TOPIC,
  TransactionCoordinator,
  type TransactionCoordinatorConfig,
} from '@dms/transactions';
import type { ControllerClient } from './controller-client';
import { CoordinatorPartitionHost } from './coordinator-partition-host';
import type { ReplicaManager } from './replica-manager';
import { transactionMetrics } from './transaction-metrics';
import { TxnMarkerSender } from './txn-marker-sender';

export interface TransactionCoordinatorHostOptions {
  brokerId: number;
  /** host:port of this broker's own gRPC server (known once bound): appends take the produce path. */
  selfAddress: () => string;
  controller: Pick<ControllerClient, 'allocateProducerIds'>;
  config: Partial<TransactionCoordinatorConfig>;
  meter?: Meter;
  tracer: Tracer;
  logger: Logger;
}

const OFFSETS_TOPIC = '__consumer_offsets';
const ALLOCATE_TIMEOUT_MS = 5_000;

/**
 * Hosts the transaction coordinator on a storage broker: the __transaction_state partitions
 * this broker leads (through CoordinatorPartitionHost), producer ids from blocks the controller
 * allocates to this broker, markers through the partition leaders, and the gRPC face gateways call.
 */
export class TransactionCoordinatorHost {
  readonly coordinator: TransactionCoordinator;
  private readonly partitions: CoordinatorPartitionHost;
  private readonly markers: TxnMarkerSender;

  constructor(view: ClusterView, replicas: ReplicaManager, private readonly opts: TransactionCoordinatorHostOptions) {
    this.partitions = new CoordinatorPartitionHost(view, replicas, {
      topic: TRANSACTION_STATE_TOPIC, brokerId: opts.brokerId, selfAddress: opts.selfAddress, logger: opts.logger,
    });
    this.markers = new TxnMarkerSender(view, opts.logger);
    const producerIds = new ProducerIdSource({
      fetchBlock: async () => {
        let res;
        try {
          res = await opts.controller.allocateProducerIds(opts.brokerId, ALLOCATE_TIMEOUT_MS);
        } catch (e) {
          throw new KafkaError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, `no producer id block: ${e instanceof Error ? e.message : String(e)}`);
        }
        if (res.errorCode !== ErrorCode.NONE) throw new KafkaError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, `no producer id block: ${res.errorMessage || res.errorCode}`);
        return { start: res.producerIdStart, length: res.producerIdLen };
      },
    });
    this.coordinator = new TransactionCoordinator({
      log: this.partitions.log,
      numPartitions: () => this.partitions.numPartitions(),
      offsetsPartitions: () => view.topic(OFFSETS_TOPIC)?.partitions ?? 0,
      newProducerId: () => producerIds.next(),
      markers: this.markers,
      config: opts.config,
      onError: (err, what) => opts.logger.warn({ err }, what),
      onInfo: (fields, what) => opts.logger.info(fields, what),
    });
    if (opts.meter) transactionMetrics(opts.meter, () => this.coordinator);
  }

  /** Call once the broker's gRPC server is bound. */
  start(): void {
    this.partitions.start(this.coordinator.runtime);
  }

  close(): void {
    this.partitions.close();
    this.coordinator.close();
    this.markers.close();
  }

  /** The gRPC face gateways call. */
  service(): TransactionCoordinatorServiceServer {
    const c = this.coordinator;
    const impl: TransactionCoordinatorServiceServer = {
      initProducerId: unary(async (r) => c.initProducerId(r)),
      addPartitionsToTxn: unary(async (r) => {
        let codes: number[];
        if (r.verifyOnly) {
          codes = await c.verifyPartitions(r.transactionalId, r.producerId, r.producerEpoch, r.partitions);
        } else {
          const code = await c.addPartitions(r.transactionalId, r.producerId, r.producerEpoch, r.partitions);
          codes = r.partitions.map(() => code);
        }
        return { results: r.partitions.map((tp, i) => ({ topic: tp.topic, partition: tp.partition, errorCode: codes[i] })) };
      }),
      addOffsetsToTxn: unary(async (r) => ({ errorCode: await c.addOffsets(r.transactionalId, r.producerId, r.producerEpoch, r.groupId) })),
      endTxn: unary(async (r) => ({ errorCode: await c.endTxn(r.transactionalId, r.producerId, r.producerEpoch, r.committed) })),
      describeTransactions: unary(async (r) => ({
        transactionStates: c.describe(r.transactionalIds).map((d) => ({
          errorCode: d.errorCode,
          transactionalId: d.transactionalId,
          transactionState: d.state,
          transactionTimeoutMs: d.timeoutMs,
          transactionStartTimeMs: d.startTimeMs,
          producerId: d.producerId,
          producerEpoch: d.producerEpoch,
          topics: d.topics,
        })),
      })),
      listTransactions: unary(async (r) => ({
        errorCode: ErrorCode.NONE,
        transactions: c.list({ states: r.stateFilters, producerIds: r.producerIdFilters, minDurationMs: Number(r.durationFilterMs) }).map((t) => ({
          transactionalId: t.transactionalId,
          producerId: t.producerId,
          transactionState: t.state,
        })),
      })),
    };
    return traced(impl, this.opts.tracer, { serviceName: 'dms.transactions.v1.TransactionCoordinatorService' });
  }
}

function unary<Req, Res>(fn: (req: Req) => Promise<Res>) {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
    fn(call.request).then(
      (res) => callback(null, res),
      (err: unknown) => callback(grpcError(GrpcStatus.INTERNAL, `transaction coordinator failed: ${err instanceof Error ? err.message : String(err)}`)),
    );
  };
}
