import { ErrorCode } from '@dms/kafka-errors';
import { LogError } from '@dms/log';
import type { Logger } from '@dms/platform';
import { divergingEpoch } from '@dms/replication';
import type { ReplicaFetchPartition, ReplicaFetchPartitionResult, ReplicaFetchRequest, ReplicaFetchResponse } from '@dms/rpc';
import type { IsrUpdater } from './isr-updater';
import { isDiskError } from './log-dir-failure';
import { ParkedFetches } from './parked-fetches';
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

/**
 * Errors that mean this broker has not yet applied the role the follower already knows (the
 * replica is not open here yet, or the follower names a newer epoch): a fresh topic's followers
 * often ask before its leader has read the change from etcd. They do not answer a fetch by
 * themselves: it waits for the role (a 'roles' event wakes it) or its maxWait, so the follower's
 * first fetch of a new partition is not answered with an error and a backoff.
 */
function waitsForRole(errorCode: number): boolean {
  return errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER || errorCode === ErrorCode.UNKNOWN_LEADER_EPOCH;
}

function epochError(replica: PartitionReplica, requested: number): number {
  if (requested < 0 || requested === replica.leaderEpoch) return ErrorCode.NONE;
  return requested > replica.leaderEpoch ? ErrorCode.UNKNOWN_LEADER_EPOCH : ErrorCode.FENCED_LEADER_EPOCH;
}

/** One partition's answer (every answer has this one shape). */
function answer(
  p: ReplicaFetchPartition,
  errorCode: number,
  highWatermark: bigint,
  logStartOffset: bigint,
  records: Buffer,
  diverging: ReplicaFetchPartitionResult['divergingEpoch'],
): ReplicaFetchPartitionResult {
  return { topic: p.topic, partition: p.partition, highWatermark, logStartOffset, records, divergingEpoch: diverging, errorCode };
}

/**
 * The leader's side of follower replication (StorageService.ReplicaFetch): a long poll that
 * answers at once with data, an error or a divergence, else as soon as one of its partitions
 * grows (the leader's append emits 'append'; see ParkedFetches for when the answer leaves) or
 * maxWait passes.
 * A wake re-reads only the partitions whose log end or start moved; the others keep their empty
 * answer with fresh high watermark and log start offset.
 *
 * This runs once per replicated append and follower: reads the in-memory tail answers complete
 * without a promise, and nothing is allocated per partition beyond its answer.
 */
export function createReplicaFetchHandler(opts: ReplicaFetchHandlerOptions): (req: ReplicaFetchRequest) => Promise<ReplicaFetchResponse> {
  const parked = new ParkedFetches();
  // A role change here may answer what parked fetches were waiting for (see waitsForRole).
  opts.replicas.on?.('roles', () => parked.wakeAll());

  function failed(replica: PartitionReplica, p: ReplicaFetchPartition, hw: bigint, start: bigint, err: unknown): ReplicaFetchPartitionResult {
    if (err instanceof LogError && err.kind === 'offset-out-of-range') return answer(p, ErrorCode.OFFSET_OUT_OF_RANGE, hw, start, EMPTY, undefined);
    opts.logger.error({ err, topic: p.topic, partition: p.partition }, 'replica read failed');
    if (isDiskError(err)) opts.logDirFailures?.logFailed(err as Error, replica.log.dir);
    return answer(p, ErrorCode.KAFKA_STORAGE_ERROR, hw, start, EMPTY, undefined);
  }

  function took(replica: PartitionReplica, p: ReplicaFetchPartition, records: Buffer): ReplicaFetchPartitionResult {
    const quotas = opts.quotas;
    if (records.length > 0 && quotas?.leaderThrottled(replica)) quotas.leader.record(records.length);
    return answer(p, ErrorCode.NONE, replica.highWatermark, replica.log.logStartOffset, records, undefined);
  }

  /** A partition's answer; a promise only when the read has to go to the disk. */
  function fetchPartition(
    replicaId: number,
    p: ReplicaFetchPartition,
    replica: PartitionReplica | undefined,
    bytes: number,
    first: boolean,
    record: boolean,
  ): ReplicaFetchPartitionResult | Promise<ReplicaFetchPartitionResult> {
    const leader = replica?.leader;
    if (!replica || !leader) return answer(p, ErrorCode.NOT_LEADER_OR_FOLLOWER, -1n, -1n, EMPTY, undefined);
    const epochProblem = epochError(replica, p.currentLeaderEpoch);
    if (epochProblem !== ErrorCode.NONE) return answer(p, epochProblem, -1n, -1n, EMPTY, undefined);
    const log = replica.log;
    const hw = replica.highWatermark;
    const start = log.logStartOffset;
    // As Kafka: below the log start offset is out of range whatever the epochs say (the follower
    // then restarts at our log start); a divergence is answered first otherwise.
    if (p.fetchOffset < start) return answer(p, ErrorCode.OFFSET_OUT_OF_RANGE, hw, start, EMPTY, undefined);
    if (p.lastFetchedEpoch >= 0) {
      const diverging = divergingEpoch(p.fetchOffset, p.lastFetchedEpoch, (e) => log.endOffsetForEpoch(e));
      if (diverging) return answer(p, ErrorCode.NONE, hw, start, EMPTY, diverging);
    }
    const end = log.logEndOffset;
    if (p.fetchOffset > end) return answer(p, ErrorCode.OFFSET_OUT_OF_RANGE, hw, start, EMPTY, undefined);
    // The follower's position is what it asked with: recorded once per request.
    if (record && leader.replicas.includes(replicaId)) {
      replica.onFollowerFetch(replicaId, p.fetchOffset, Date.now());
      if (p.logStartOffset !== undefined) replica.onFollowerLogStart(replicaId, p.logStartOffset);
      // As Kafka's leader (maybeExpandIsr on a fetch): a follower outside the ISR may rejoin now.
      // Shrinking is the periodic check's (IsrUpdater.start), as in Kafka.
      if (!leader.isr.includes(replicaId)) opts.isrUpdater?.check(replica);
    }
    // A follower at our end (its acknowledgement of what it fetched last): nothing to read.
    if (p.fetchOffset === end) return answer(p, ErrorCode.NONE, replica.highWatermark, start, EMPTY, undefined);
    // As Kafka's leader: a throttled replica outside the ISR gets nothing while the quota is exceeded.
    if (opts.quotas?.shouldLeaderThrottle(replica, replicaId)) return answer(p, ErrorCode.NONE, hw, start, EMPTY, undefined);
    const maxBytes = Math.max(0, Math.min(p.partitionMaxBytes, bytes));
    // Followers read up to the log end, not the high watermark: that is how it advances.
    const readOpts = { upperBound: end, minOneBatch: first };
    try {
      const held = log.readHeld(p.fetchOffset, maxBytes, readOpts);
      if (held) return took(replica, p, held.records);
      return log.read(p.fetchOffset, maxBytes, readOpts).then(
        (r) => took(replica, p, r.records),
        (err: unknown) => failed(replica, p, hw, start, err),
      );
    } catch (err) {
      return failed(replica, p, hw, start, err);
    }
  }

  return async function handleReplicaFetch(req: ReplicaFetchRequest): Promise<ReplicaFetchResponse> {
    const deadline = Date.now() + Math.max(0, req.maxWaitMs);
    const asked = req.partitions;
    const n = asked.length;
    const replicaId = req.replicaId;
    const limit = req.maxBytes > 0 ? req.maxBytes : 0x7fffffff;
    // When the response-wide budget cannot bind, partitions are read at once (each may return one
    // oversized batch, so none is starved) and a wake re-reads only those that moved.
    let wanted = 0;
    for (let i = 0; i < n; i++) wanted += Math.max(0, asked[i]!.partitionMaxBytes);
    const independent = wanted <= limit;
    const leaders: (PartitionReplica | undefined)[] = new Array(n);
    const ends: bigint[] = new Array(n);
    const starts: bigint[] = new Array(n);
    const partitions: ReplicaFetchPartitionResult[] = new Array(n);
    // A replica leaves the manager (or stops leading) with its role changed: one still leading is
    // still the leader of its partition, so only a partition without one is looked up again.
    const current = (i: number): PartitionReplica | undefined => {
      const r = leaders[i];
      return r !== undefined && r.role === 'leader' ? r : opts.replicas.leaderNow(asked[i]!.topic, asked[i]!.partition);
    };
    const mark = (i: number, r: PartitionReplica | undefined): void => {
      leaders[i] = r;
      ends[i] = r ? r.log.logEndOffset : -1n;
      starts[i] = r ? r.log.logStartOffset : -1n;
    };
    const moved = (i: number): boolean => {
      const r = current(i);
      return r !== leaders[i] || (r !== undefined && (r.log.logEndOffset !== ends[i] || r.log.logStartOffset !== starts[i]));
    };

    // Partitions whose position is still to be recorded because they waited for their role here.
    let unrecorded: boolean[] | undefined;
    const toRecord = (i: number): boolean => firstPass || unrecorded?.[i] === true;
    const settle = (i: number, res: ReplicaFetchPartitionResult): void => {
      partitions[i] = res;
      if (waitsForRole(res.errorCode)) (unrecorded ??= new Array<boolean>(n).fill(false))[i] = true;
      else if (unrecorded) unrecorded[i] = false;
    };

    let firstPass = true;
    for (;;) {
      let reading: Promise<void>[] | undefined;
      if (firstPass || !independent) {
        for (let i = 0; i < n; i++) mark(i, firstPass ? opts.replicas.leaderNow(asked[i]!.topic, asked[i]!.partition) : current(i));
        if (independent) {
          for (let i = 0; i < n; i++) {
            const res = fetchPartition(replicaId, asked[i]!, leaders[i], limit, true, toRecord(i));
            if (res instanceof Promise) (reading ??= []).push(res.then((x) => settle(i, x)));
            else settle(i, res);
          }
        } else {
          let bytes = limit;
          let first = true;
          for (let i = 0; i < n; i++) {
            const got = fetchPartition(replicaId, asked[i]!, leaders[i], bytes, first, toRecord(i));
            const res = got instanceof Promise ? await got : got;
            settle(i, res);
            if (res.records.length > 0) {
              first = false;
              bytes -= res.records.length;
            }
          }
        }
      } else {
        for (let i = 0; i < n; i++) {
          if (moved(i) || waitsForRole(partitions[i]!.errorCode)) {
            mark(i, current(i));
            const res = fetchPartition(replicaId, asked[i]!, leaders[i], limit, true, toRecord(i));
            if (res instanceof Promise) (reading ??= []).push(res.then((x) => settle(i, x)));
            else settle(i, res);
          } else if (partitions[i]!.errorCode === ErrorCode.NONE && leaders[i]) {
            partitions[i]!.highWatermark = leaders[i]!.highWatermark;
          }
        }
      }
      if (reading) await (reading.length === 1 ? reading[0] : Promise.all(reading));
      firstPass = false;
      let ready = false;
      for (let i = 0; i < n && !ready; i++) {
        const p = partitions[i]!;
        ready = p.records.length > 0 || (p.errorCode !== ErrorCode.NONE && !waitsForRole(p.errorCode)) || p.divergingEpoch !== undefined || startMoved(asked[i]!, p);
      }
      const remaining = deadline - Date.now();
      if (ready || remaining <= 0) return { correlationId: req.correlationId, partitions };
      // A partition that moved while this pass read answers at once; otherwise park until one moves.
      let any = false;
      for (let i = 0; i < n && !any; i++) any = moved(i);
      if (!any) await parked.park(leaders, remaining);
    }
  };
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
