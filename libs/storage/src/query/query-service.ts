import type { ServerUnaryCall, sendUnaryData } from '@grpc/grpc-js';
import { RecordsError } from '@dms/kafka-codec';
import { ErrorCode } from '@dms/kafka-errors';
import type { Logger } from '@dms/platform';
import type { QueryRequest, QueryResponse } from '@dms/rpc';
import { kafkaCodeOf } from '../log-error-codes';
import type { ReplicaManager } from '../replica-manager';
import { QueryRefused, runQuery } from './query-handler';

export interface QueryServiceOptions {
  replicas: ReplicaManager;
  logger: Logger;
  /** KAFKA_STORAGE_ERROR instead of NOT_LEADER_OR_FOLLOWER for a replica whose log dir is offline. */
  partitionOffline?: (topic: string, partition: number) => boolean;
}

const EMPTY_STATS = { batchesRead: 0, bytesRead: 0n, elapsedUs: 0n, segmentsSearched: 0, usedKeyIndex: false };

/** The StorageService Query method: only the partition leader answers. */
export function createQueryHandler(opts: QueryServiceOptions) {
  async function answer(req: QueryRequest): Promise<QueryResponse> {
    const refuse = (errorCode: number, errorMessage: string): QueryResponse => ({
      errorCode, errorMessage, records: [], nextCursor: '', stats: EMPTY_STATS, logStartOffset: -1n, highWatermark: -1n, logEndOffset: -1n, leaderEpoch: -1,
    });
    await opts.replicas.get(req.topic, req.partition); // a log still opening
    const replica = opts.replicas.leaderNow(req.topic, req.partition);
    if (!replica || !replica.leader) {
      const offline = opts.partitionOffline?.(req.topic, req.partition);
      return refuse(offline ? ErrorCode.KAFKA_STORAGE_ERROR : ErrorCode.NOT_LEADER_OR_FOLLOWER, `this broker does not lead ${req.topic}-${req.partition}`);
    }
    try {
      return { ...(await runQuery(replica.log, req)), leaderEpoch: replica.leaderEpoch };
    } catch (err) {
      if (err instanceof QueryRefused) return refuse(err.errorCode, err.message);
      if (err instanceof RecordsError) return refuse(ErrorCode.CORRUPT_MESSAGE, `a stored batch does not decode: ${err.message}`);
      const { code, expected } = kafkaCodeOf(err);
      if (!expected) opts.logger.error({ err, topic: req.topic, partition: req.partition }, 'query failed');
      return refuse(code, (err as Error).message);
    }
  }
  return (call: ServerUnaryCall<QueryRequest, QueryResponse>, callback: sendUnaryData<QueryResponse>): void => {
    answer(call.request).then(
      (res) => callback(null, res),
      (err) => callback(err as Error, null),
    );
  };
}
