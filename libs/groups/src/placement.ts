/** The internal topic holding committed offsets and group metadata, as Kafka names it. */
export const OFFSETS_TOPIC = '__consumer_offsets';

/** Java's String.hashCode over UTF-16 code units, so placement agrees with Kafka's. */
export function javaStringHashCode(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** Kafka's Utils.abs: Integer.MIN_VALUE maps to 0 rather than staying negative. */
function kafkaAbs(n: number): number {
  return n === -2147483648 ? 0 : Math.abs(n);
}

/** The partition of __consumer_offsets whose leader coordinates `groupId` (Kafka's partitionFor). */
export function groupPartition(groupId: string, numPartitions: number): number {
  if (numPartitions <= 0) throw new RangeError('the offsets topic has no partitions');
  return kafkaAbs(javaStringHashCode(groupId)) % numPartitions;
}
