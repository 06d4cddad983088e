import type { AppendOutcome, CoordinatorLog, CoordinatorRecord, ReplayEntry, TxnProducer } from '../coordinator-log';

/**
 * An in-memory offsets topic for coordinator specs: what the coordinator appended, per partition,
 * at consecutive offsets, transactional batches marked with their producer; `marker` writes a
 * transaction's COMMIT or ABORT the way the transaction coordinator would.
 */
export class MemoryLog implements CoordinatorLog {
  readonly partitions = new Map<number, ReplayEntry[]>();
  failWith = 0;

  async append(partition: number, records: CoordinatorRecord[], txn?: TxnProducer): Promise<AppendOutcome> {
    if (this.failWith) return { errorCode: this.failWith, baseOffset: -1n };
    const list = this.entries(partition);
    const baseOffset = BigInt(list.length);
    records.forEach((r, i) => list.push({
      ...r, offset: baseOffset + BigInt(i), producerId: txn?.producerId ?? -1n, transactional: txn !== undefined,
    }));
    return { errorCode: 0, baseOffset };
  }

  /** Appends a transaction marker; answers its offset. */
  marker(partition: number, producerId: bigint, committed: boolean): bigint {
    const list = this.entries(partition);
    const offset = BigInt(list.length);
    list.push({ marker: committed ? 'commit' : 'abort', producerId, offset });
    return offset;
  }

  async *read(partition: number): AsyncIterable<ReplayEntry> {
    for (const r of this.partitions.get(partition) ?? []) yield r;
  }

  private entries(partition: number): ReplayEntry[] {
    let list = this.partitions.get(partition);
    if (!list) this.partitions.set(partition, (list = []));
    return list;
  }
}
