import type { ServerUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { Tracer } from '@opentelemetry/api';
import { ErrorCode } from '@dms/kafka-errors';
import type { AcknowledgementBatch } from '@dms/groups';
import { grpcError, traced, type shareV1, type SharePartitionServiceServer } from '@dms/rpc';
import type { PartitionReplica } from '../partition-replica';
import type { ReplicaManager } from '../replica-manager';
import type { FetchPartitionOutcome, PartitionRef, SharePartitionManager } from './share-partition-manager';

const acks = (list: shareV1.AcknowledgementBatch[]): AcknowledgementBatch[] =>
  list.map((b) => ({ firstOffset: b.firstOffset, lastOffset: b.lastOffset, acknowledgeTypes: b.acknowledgeTypes }));

const count = (o: FetchPartitionOutcome) => o.acquiredRecords.reduce((n, r) => n + Number(r.lastOffset - r.firstOffset + 1n), 0);

/**
 * The share-partition face of a storage broker: ShareFetch (acknowledgements first, then
 * acquisition up to MaxRecords over the request's partitions, waiting up to MaxWaitMs for the high
 * watermark to move or a lock to expire when nothing could be acquired), ShareAcknowledge and the
 * offset resets of the admin APIs.
 */
export function createSharePartitionService(opts: {
  manager: SharePartitionManager;
  replicas: Pick<ReplicaManager, 'leaderNow'>;
  tracer: Tracer;
}): SharePartitionServiceServer {
  const { manager } = opts;
  const refOf = (groupId: string, p: { topic: string; topicId: string; partition: number }): PartitionRef => ({ groupId, topic: p.topic, topicId: p.topicId, partition: p.partition });

  async function shareFetch(req: shareV1.ShareFetchRequest): Promise<shareV1.ShareFetchResponse> {
    const deadline = Date.now() + Math.max(0, req.maxWaitMs);
    const ackCodes = new Map<number, { errorCode: number; errorMessage: string }>();
    // Partitions not fetched from take their acknowledgements alone; the others with their first acquisition.
    await Promise.all(req.partitions.map(async (p, i) => {
      if (!p.fetch && p.acknowledgements.length > 0) ackCodes.set(i, await manager.acknowledge(refOf(req.groupId, p), req.memberId, acks(p.acknowledgements)));
    }));
    const fetching = req.partitions.map((p, i) => [p, i] as const).filter(([p]) => p.fetch);
    const refs = fetching.map(([p]) => refOf(req.groupId, p));
    let first = true;
    for (;;) {
      let budget = req.maxRecords > 0 ? req.maxRecords : 500;
      const got = new Map<number, FetchPartitionOutcome>();
      for (const [p, i] of fetching) {
        const pending = first ? acks(p.acknowledgements) : [];
        const out = await manager.acquire(refOf(req.groupId, p), req.memberId, budget, req.acquireMode, req.maxBytes > 0 ? req.maxBytes : 0x7fffffff, pending);
        if (pending.length > 0) ackCodes.set(i, { errorCode: out.acknowledgeErrorCode, errorMessage: out.acknowledgeErrorMessage });
        budget -= count(out);
        got.set(i, out);
      }
      first = false;
      const any = [...got.values()].some((o) => o.acquiredRecords.length > 0 || o.errorCode !== ErrorCode.NONE);
      const remaining = deadline - Date.now();
      if (any || remaining <= 0 || fetching.length === 0) return answer(req, got, ackCodes);
      const lock = manager.nextLockDeadline(refs);
      const wait = lock === undefined ? remaining : Math.max(1, Math.min(remaining, lock - Date.now() + 1));
      await waitForHw(fetching.map(([p]) => opts.replicas.leaderNow(p.topic, p.partition)).filter((r): r is PartitionReplica => !!r), wait);
    }
  }

  function answer(
    req: shareV1.ShareFetchRequest,
    got: Map<number, FetchPartitionOutcome>,
    ackCodes: Map<number, { errorCode: number; errorMessage: string }>,
  ): shareV1.ShareFetchResponse {
    return {
      acquisitionLockTimeoutMs: manager.lockDurationMs(req.groupId),
      partitions: req.partitions.map((p, i) => {
        const out = got.get(i);
        const ack = ackCodes.get(i);
        return {
          topic: p.topic,
          partition: p.partition,
          errorCode: out?.errorCode ?? ErrorCode.NONE,
          errorMessage: out?.errorMessage ?? '',
          acknowledgeErrorCode: ack?.errorCode ?? ErrorCode.NONE,
          acknowledgeErrorMessage: ack?.errorMessage ?? '',
          leaderEpoch: out?.leaderEpoch ?? -1,
          records: out?.records ?? Buffer.alloc(0),
          acquiredRecords: out?.acquiredRecords ?? [],
        };
      }),
    };
  }

  async function shareAcknowledge(req: shareV1.ShareAcknowledgeRequest): Promise<shareV1.ShareAcknowledgeResponse> {
    const partitions = await Promise.all(req.partitions.map(async (p) => {
      const r = await manager.acknowledge(refOf(req.groupId, p), req.memberId, acks(p.acknowledgements), req.releaseAll);
      return {
        topic: p.topic, partition: p.partition, errorCode: ErrorCode.NONE, errorMessage: '',
        acknowledgeErrorCode: r.errorCode, acknowledgeErrorMessage: r.errorMessage, leaderEpoch: -1, records: Buffer.alloc(0), acquiredRecords: [],
      };
    }));
    return { acquisitionLockTimeoutMs: manager.lockDurationMs(req.groupId), partitions };
  }

  async function resetSharePartitions(req: shareV1.ResetSharePartitionsRequest): Promise<shareV1.ResetSharePartitionsResponse> {
    const results = await Promise.all(req.partitions.map(async (p) => {
      const r = await manager.reset(refOf(req.groupId, p), p.startOffset);
      return { topic: p.topic, partition: p.partition, errorCode: r.errorCode, errorMessage: r.errorMessage };
    }));
    return { results };
  }

  const impl: SharePartitionServiceServer = {
    shareFetch: unary(shareFetch),
    shareAcknowledge: unary(shareAcknowledge),
    resetSharePartitions: unary(resetSharePartitions),
  };
  return traced(impl, opts.tracer, { serviceName: 'dms.share.v1.SharePartitionService' });
}

function waitForHw(replicas: PartitionReplica[], ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      for (const r of replicas) r.off('hw', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    for (const r of replicas) r.once('hw', done);
  });
}

function unary<Req, Res>(fn: (req: Req) => Promise<Res>) {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
    fn(call.request).then(
      (res) => callback(null, res),
      (err: unknown) => callback(grpcError(GrpcStatus.INTERNAL, `share partitions failed: ${err instanceof Error ? err.message : String(err)}`)),
    );
  };
}
