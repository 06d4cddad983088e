import { ErrorCode } from '@dms/kafka-errors';
import { LogError } from '@dms/log';
import type { Logger } from '@dms/platform';
import { divergingEpoch } from '@dms/replication';
import type { ReplicaFetchPartition, ReplicaFetchPartitionResult, ReplicaFetchRequest, ReplicaFetchResponse } from '@dms/rpc';
import type { IsrUpdater } from './isr-updater';
import { isDiskError } from './log-dir-failure';
import type { PartitionReplica } from './partition-replica';
import type { ReplicaManager } from './replica-manager';
import type { BrokerReplicationQuotas } from './replication-quotas';

export interface ReplicaFetchHandlerOptions {
  replicas: ReplicaManager;
  logger: Logger;
  isrUpdater?: Pick<IsrUpdater, 'check'>;
  /** A read that fails on the disk takes the log dir offline. */
  logDirFailures?: { logFailed(err: Error, partitionDir: string): void };
  /** The leader replication quota: out-of-sync followers of throttled replicas wait while it is exceeded. */
  quotas?: Pick<BrokerReplicationQuotas, 'shouldLeaderThrottle' | 'leaderThrottled' | 'leader'>;
}

const EMPTY = Buffer.alloc(0);

function epochError(replica: PartitionReplica, requested: number): number {
  if (requested < 0 || requested === replica.leaderEpoch) return ErrorCode.NONE;
  return requested > replica.leaderEpoch ? ErrorCode.UNKNOWN_LEADER_EPOCH : ErrorCode.FENCED_LEADER_EPOCH;
}

/**
 * The leader's side of follower replication (StorageService.ReplicaFetch): a long poll that
 * answers at once with data, an error or a divergence, else as soon as one of its partitions
 * grows (the leader's append emits 'append'; the answer leaves at the end of that turn, with
 * every append the turn made) or maxWait passes.
 * A wake re-reads only the partitions whose log end or start moved; the others keep their empty
 * answer with fresh high watermark and log start offset.
 */
export function createReplicaFetchHandler(opts: ReplicaFetchHandlerOptions): (req: ReplicaFetchRequest) => Promise<ReplicaFetchResponse> {
  async function fetchPartition(replicaId: number, p: ReplicaFetchPartition, budget: { bytes: number; first: boolean }, firstPass: boolean): Promise<ReplicaFetchPartitionResult> {
    const base = { topic: p.topic, partition: p.partition, highWatermark: -1n, logStartOffset: -1n, records: EMPTY, divergingEpoch: undefined };
    const replica = opts.replicas.leaderNow(p.topic, p.partition);
    if (!replica || !replica.leader) return { ...base, errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER };
    const epochProblem = epochError(replica, p.currentLeaderEpoch);
    if (epochProblem !== ErrorCode.NONE) return { ...base, errorCode: epochProblem };
    const log = replica.log;
    const marks = { highWatermark: replica.highWatermark, logStartOffset: log.logStartOffset };
    // As Kafka: below the log start offset is out of range whatever the epochs say (the follower
    // then restarts at our log start); a divergence is answered first otherwise.
    if (p.fetchOffset < log.logStartOffset) return { ...base, ...marks, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE };
    const diverging = divergingEpoch(p.fetchOffset, p.lastFetchedEpoch, (e) => log.endOffsetForEpoch(e));
    if (diverging) return { ...base, ...marks, errorCode: ErrorCode.NONE, divergingEpoch: diverging };
    if (p.fetchOffset > log.logEndOffset) return { ...base, ...marks, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE };
    // The follower's position is what it asked with: recorded once per request.
    if (firstPass && replica.leader.replicas.includes(replicaId)) {
      replica.onFollowerFetch(replicaId, p.fetchOffset, Date.now());
      if (p.logStartOffset !== undefined) replica.onFollowerLogStart(replicaId, p.logStartOffset);
      opts.isrUpdater?.check(replica);
    }
    // A follower at our end (its acknowledgement of what it fetched last): nothing to read.
    if (p.fetchOffset === log.logEndOffset) return { ...base, ...marks, errorCode: ErrorCode.NONE };
    // As Kafka's leader: a throttled replica outside the ISR gets nothing while the quota is exceeded.
    const quotas = opts.quotas;
    if (quotas?.shouldLeaderThrottle(replica, replicaId)) return { ...base, ...marks, errorCode: ErrorCode.NONE };
    const maxBytes = Math.max(0, Math.min(p.partitionMaxBytes, budget.bytes));
    try {
      // Followers read up to the log end, not the high watermark: that is how it advances.
      const { records } = await log.read(p.fetchOffset, maxBytes, { upperBound: log.logEndOffset, minOneBatch: budget.first });
      if (records.length > 0) {
        budget.first = false;
        budget.bytes -= records.length;
        if (quotas?.leaderThrottled(replica)) quotas.leader.record(records.length);
      }
      return { ...base, highWatermark: replica.highWatermark, logStartOffset: log.logStartOffset, errorCode: ErrorCode.NONE, records };
    } catch (err) {
      if (err instanceof LogError && err.kind === 'offset-out-of-range') return { ...base, ...marks, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE };
      opts.logger.error({ err, topic: p.topic, partition: p.partition }, 'replica read failed');
      if (isDiskError(err)) opts.logDirFailures?.logFailed(err as Error, replica.log.dir);
      return { ...base, ...marks, errorCode: ErrorCode.KAFKA_STORAGE_ERROR };
    }
  }

  return async function handleReplicaFetch(req: ReplicaFetchRequest): Promise<ReplicaFetchResponse> {
    const deadline = Date.now() + Math.max(0, req.maxWaitMs);
    const n = req.partitions.length;
    const limit = req.maxBytes > 0 ? req.maxBytes : 0x7fffffff;
    // When the response-wide budget cannot bind, partitions are read at once (each may return one
    // oversized batch, so none is starved) and a wake re-reads only those that moved.
    const independent = req.partitions.reduce((sum, p) => sum + Math.max(0, p.partitionMaxBytes), 0) <= limit;
    const leaders: (PartitionReplica | undefined)[] = new Array(n);
    const ends: bigint[] = new Array(n);
    const starts: bigint[] = new Array(n);
    const partitions: ReplicaFetchPartitionResult[] = new Array(n);
    const mark = (i: number): void => {
      const r = opts.replicas.leaderNow(req.partitions[i]!.topic, req.partitions[i]!.partition);
      leaders[i] = r;
      ends[i] = r ? r.log.logEndOffset : -1n;
      starts[i] = r ? r.log.logStartOffset : -1n;
    };
    const moved = (i: number): boolean => {
      const r = opts.replicas.leaderNow(req.partitions[i]!.topic, req.partitions[i]!.partition);
      return r !== leaders[i] || (r !== undefined && (r.log.logEndOffset !== ends[i] || r.log.logStartOffset !== starts[i]));
    };

    let firstPass = true;
    for (;;) {
      if (firstPass || !independent) {
        for (let i = 0; i < n; i++) mark(i);
        if (independent) {
          const read = await Promise.all(req.partitions.map((p) => fetchPartition(req.replicaId, p, { bytes: limit, first: true }, firstPass)));
          for (let i = 0; i < n; i++) partitions[i] = read[i]!;
        } else {
          const budget = { bytes: limit, first: true };
          for (let i = 0; i < n; i++) partitions[i] = await fetchPartition(req.replicaId, req.partitions[i]!, budget, firstPass);
        }
      } else {
        const again: Promise<void>[] = [];
        for (let i = 0; i < n; i++) {
          if (moved(i)) {
            mark(i);
            again.push(fetchPartition(req.replicaId, req.partitions[i]!, { bytes: limit, first: true }, false).then((res) => void (partitions[i] = res)));
          } else if (partitions[i]!.errorCode === ErrorCode.NONE && leaders[i]) {
            partitions[i]!.highWatermark = leaders[i]!.highWatermark;
          }
        }
        if (again.length > 0) await Promise.all(again);
      }
      firstPass = false;
      let ready = false;
      for (let i = 0; i < n && !ready; i++) {
        const p = partitions[i]!;
        ready = p.records.length > 0 || p.errorCode !== ErrorCode.NONE || p.divergingEpoch !== undefined || startMoved(req.partitions[i]!, p);
      }
      const remaining = deadline - Date.now();
      if (ready || remaining <= 0) return { correlationId: req.correlationId, partitions };
      await untilMoved(leaders, moved, remaining);
    }
  };
}

/**
 * Waits until a partition moves (its leader emits 'append': the log end or start changed) or
 * `ms` passes; at once when one moved while the caller was reading. A move answers at the end
 * of the event-loop turn it happened in (setImmediate), not at the first append: the appends of
 * one turn (a coalesced produce message carries several) go to the follower in one answer, and
 * the follower acknowledges them with one fetch instead of one per append.
 */
function untilMoved(leaders: readonly (PartitionReplica | undefined)[], moved: (i: number) => boolean, ms: number): Promise<void> {
  for (let i = 0; i < leaders.length; i++) if (moved(i)) return Promise.resolve();
  return new Promise((resolve) => {
    const detach = (): void => {
      clearTimeout(timer);
      for (const r of leaders) r?.off('append', onAppend);
    };
    const onAppend = (): void => {
      detach();
      setImmediate(resolve);
    };
    const timer = setTimeout(() => {
      detach();
      resolve();
    }, ms);
    for (const r of leaders) r?.on('append', onAppend);
  });
}

/**
 * Whether the follower can advance its log start offset from this answer: the leader's start
 * is past the follower's, and the follower has data there (it never moves past its own end).
 */
function startMoved(asked: ReplicaFetchPartition, answer: ReplicaFetchPartitionResult): boolean {
  if (asked.logStartOffset === undefined || answer.logStartOffset < 0n) return false;
  const reachable = answer.logStartOffset < asked.fetchOffset ? answer.logStartOffset : asked.fetchOffset;
  return reachable > asked.logStartOffset;
}
