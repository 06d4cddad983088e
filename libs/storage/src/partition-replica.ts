import { EventEmitter } from 'node:events';
import type { PartitionLog } from '@dms/log';

/**
 * A partition this broker leads: its log, its leader epoch and high watermark, and a signal
 * for fetches waiting on new data. With a single replica the ISR is the leader alone, so the
 * high watermark follows the log end offset once each append is written.
 */
export class PartitionReplica extends EventEmitter {
  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly topicId: string,
    readonly log: PartitionLog,
    public leaderEpoch: number,
    public configs: Record<string, string>,
  ) {
    super();
    this.setMaxListeners(0);
  }

  get highWatermark(): bigint {
    return this.log.highWatermark;
  }

  advanceHighWatermark(offset: bigint): void {
    if (offset > this.log.highWatermark) {
      this.log.highWatermark = offset;
      this.emit('hw');
    }
  }
}
