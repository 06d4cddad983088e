import { partitionForKey } from './murmur2';

/**
 * Keyed records go where the Java client puts them (murmur2 of the key bytes); records
 * without a key go round-robin, as the old console producer did.
 */
export class DefaultPartitioner {
  private counter = 0;

  partition(key: Uint8Array | null, numPartitions: number): number {
    if (numPartitions <= 0) throw new RangeError('topic has no partitions');
    if (key !== null) return partitionForKey(key, numPartitions);
    const p = this.counter % numPartitions;
    this.counter = (this.counter + 1) % 0x7fffffff;
    return p;
  }
}
