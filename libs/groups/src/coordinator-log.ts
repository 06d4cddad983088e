import type { AppendOutcome, CoordinatorRecord, ReplayedRecord, TxnProducer } from '@dms/coordinator';

export type { AppendOutcome, CoordinatorRecord, TxnProducer } from '@dms/coordinator';

/** Where coordinator state is made durable: the group's partition of __consumer_offsets. */
export interface CoordinatorLog {
  /**
   * Appends with acks=all semantics. With `txn`, the records go as one transactional batch of
   * that producer (Kafka's coordinator-origin append: no sequence number), resolved later by the
   * transaction's COMMIT or ABORT marker.
   */
  append(partition: number, records: CoordinatorRecord[], txn?: TxnProducer): Promise<AppendOutcome>;
  /**
   * Every record and marker of the partition, oldest first, up to its end when the read started:
   * what the runtime's `load` replays. Without it, partitions load only through `loadPartition`.
   */
  read?(partition: number, epoch: number): AsyncIterable<ReplayEntry>;
}

/** A record of the log being replayed, with what its batch says about it. */
export type ReplayRecord = ReplayedRecord;

/** A COMMIT or ABORT control record ending a producer's transaction on the partition. */
export interface ReplayMarker {
  marker: 'commit' | 'abort';
  producerId: bigint;
  offset: bigint;
}

/** What a coordinator load replays, oldest first. */
export type ReplayEntry = ReplayRecord | ReplayMarker;

export const isReplayMarker = (e: ReplayEntry): e is ReplayMarker => 'marker' in e;
