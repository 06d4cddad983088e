/** A record of __consumer_offsets as the coordinator writes it. A null value is a tombstone. */
export interface CoordinatorRecord {
  key: Buffer;
  value: Buffer | null;
}

/** The producer whose transaction a TxnOffsetCommit's records belong to. */
export interface TxnProducer {
  producerId: bigint;
  producerEpoch: number;
}

export interface AppendOutcome {
  /** A Kafka error code: 0 once the records are committed (replicated to the ISR). */
  errorCode: number;
  /** Offset of the first record appended; records follow one offset apart. -1 on error. */
  baseOffset: bigint;
}

/** Where coordinator state is made durable: the group's partition of __consumer_offsets. */
export interface CoordinatorLog {
  /**
   * Appends with acks=all semantics. With `txn`, the records go as one transactional batch of
   * that producer (Kafka's coordinator-origin append: no sequence number), resolved later by the
   * transaction's COMMIT or ABORT marker.
   */
  append(partition: number, records: CoordinatorRecord[], txn?: TxnProducer): Promise<AppendOutcome>;
}

/** A record of the log being replayed, with what its batch says about it. */
export interface ReplayRecord extends CoordinatorRecord {
  /** Its offset in the partition; absent: the order of replay stands in for it. */
  offset?: bigint;
  /** The batch's producer id (-1 or absent for plain batches). */
  producerId?: bigint;
  /** Written in a transactional batch: pending until its transaction's marker. */
  transactional?: boolean;
}

/** A COMMIT or ABORT control record ending a producer's transaction on the partition. */
export interface ReplayMarker {
  marker: 'commit' | 'abort';
  producerId: bigint;
  offset: bigint;
}

/** What a coordinator load replays, oldest first. */
export type ReplayEntry = ReplayRecord | ReplayMarker;

export const isReplayMarker = (e: ReplayEntry): e is ReplayMarker => 'marker' in e;
