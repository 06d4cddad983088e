import type { Etcd3 } from 'etcd3';
import { controllerLeaderKey, fencedTxn, finalizedFeaturesKey, finalizedFeaturesRecord, NotLeaderError, silentLog, type Log } from '@dms/cluster';
import { ErrorCode } from '@dms/kafka-errors';

export interface FeatureManagerOptions {
  client: Etcd3;
  clusterName: string;
  fence: () => string | undefined;
  log?: Log;
}

export interface FeatureUpdateResult {
  errorCode: number;
  errorMessage: string;
  epoch: bigint;
}

/**
 * Writes the finalized feature levels (UpdateFeatures). The gateway checks each update against the
 * features it serves and the levels it saw at `expectedEpoch`; this write is a fenced
 * compare-and-set on that epoch, so two operators racing cannot both succeed on stale checks.
 */
export class FeatureManager {
  private readonly log: Log;

  constructor(private readonly opts: FeatureManagerOptions) {
    this.log = opts.log ?? silentLog;
  }

  async updateFeatures(levels: Record<string, number>, expectedEpoch: bigint): Promise<FeatureUpdateResult> {
    const { client, clusterName } = this.opts;
    const fence = this.opts.fence();
    if (fence === undefined) return { errorCode: ErrorCode.NOT_CONTROLLER, errorMessage: 'This controller is not the leader.', epoch: 0n };
    const clean = Object.fromEntries(Object.entries(levels).filter(([, l]) => l > 0));
    const record = finalizedFeaturesRecord.decode(finalizedFeaturesRecord.encode({ levels: clean }));
    if (!record) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Feature levels must be integers in 1..32767.', epoch: 0n };
    const key = finalizedFeaturesKey(clusterName);
    try {
      const res = await fencedTxn(client, controllerLeaderKey(clusterName), fence)
        .and(key, 'Mod', '==', Number(expectedEpoch))
        .then(client.put(key).value(finalizedFeaturesRecord.encode(record)))
        .commit();
      if (!res.succeeded) {
        return { errorCode: ErrorCode.FEATURE_UPDATE_FAILED, errorMessage: 'The finalized features changed while this update was checked; run it again.', epoch: 0n };
      }
      this.log.info({ levels: record.levels, epoch: res.header.revision }, 'finalized features updated');
      return { errorCode: ErrorCode.NONE, errorMessage: '', epoch: BigInt(res.header.revision) };
    } catch (e) {
      if (e instanceof NotLeaderError) return { errorCode: ErrorCode.NOT_CONTROLLER, errorMessage: 'This controller is no longer the leader.', epoch: 0n };
      this.log.warn({ err: e instanceof Error ? e.message : String(e) }, 'update features failed');
      return { errorCode: ErrorCode.REQUEST_TIMED_OUT, errorMessage: `metadata store error: ${e instanceof Error ? e.message : String(e)}`, epoch: 0n };
    }
  }
}
