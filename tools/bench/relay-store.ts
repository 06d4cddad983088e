import { assignOffsets, readBatchHeader, validateBatches } from '@dms/kafka-codec';
import { ErrorCode } from '@dms/kafka-errors';
import type {
  FetchPartitionInput,
  FetchPartitionOutcome,
  ListOffsetsInput,
  ListOffsetsOutcome,
  ProducePartitionInput,
  ProducePartitionOutcome,
} from '@dms/kafka-handlers';

/** One stored batch: its offsets and the bytes as they arrived (base offset rewritten in place). */
interface Stored {
  baseOffset: bigint;
  nextOffset: bigint;
  maxTimestamp: bigint;
  bytes: Buffer;
}

/**
 * One partition kept in memory: a ring of the most recent batches bounded in bytes. The oldest
 * batches fall out as new ones arrive (the log start offset moves up), so a consumer reads what
 * is still held and anything older answers OFFSET_OUT_OF_RANGE, like a retention-trimmed log.
 */
export class PartitionRing {
  private batches: Stored[] = [];
  private head = 0;
  private bytes = 0;
  nextOffset = 0n;
  logStartOffset = 0n;
  private readonly waiters = new Set<() => void>();

  constructor(private readonly maxBytes: number) {}

  /**
   * Appends the batches of a produce request (already validated by the Produce handler); returns
   * the base offset. The bytes are copied once, as a broker's write to its log copies them: the
   * request's buffer may be a slice of a larger socket read that the ring must not keep alive.
   */
  append(request: Buffer): bigint {
    const records = Buffer.from(request);
    const { positions } = validateBatches(records, false);
    const base = this.nextOffset;
    this.nextOffset = assignOffsets(records, positions, base, 0);
    for (let i = 0; i < positions.length; i++) {
      const end = i + 1 < positions.length ? positions[i + 1] : records.length;
      const bytes = records.subarray(positions[i], end);
      const h = readBatchHeader(bytes);
      this.batches.push({ baseOffset: h.baseOffset, nextOffset: h.baseOffset + BigInt(h.lastOffsetDelta) + 1n, maxTimestamp: h.maxTimestamp, bytes });
      this.bytes += bytes.length;
    }
    while (this.bytes > this.maxBytes && this.batches.length - this.head > 1) {
      const old = this.batches[this.head++];
      this.bytes -= old.bytes.length;
      this.logStartOffset = old.nextOffset;
    }
    if (this.head > 1024 && this.head * 2 > this.batches.length) {
      this.batches = this.batches.slice(this.head);
      this.head = 0;
    }
    const woken = [...this.waiters];
    this.waiters.clear();
    for (const w of woken) w();
    return base;
  }

  /** The batches from the one holding `offset`, up to `maxBytes` (at least one batch). */
  read(offset: bigint, maxBytes: number): Buffer[] {
    let lo = this.head;
    let hi = this.batches.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.batches[mid].nextOffset <= offset) lo = mid + 1;
      else hi = mid;
    }
    const out: Buffer[] = [];
    let size = 0;
    for (let i = lo; i < this.batches.length; i++) {
      const b = this.batches[i].bytes;
      if (out.length > 0 && size + b.length > maxBytes) break;
      out.push(b);
      size += b.length;
    }
    return out;
  }

  /** The first offset of the first batch with a timestamp at or after `ts` (batch granularity), or the end. */
  offsetForTime(ts: bigint): bigint {
    for (let i = this.head; i < this.batches.length; i++) if (this.batches[i].maxTimestamp >= ts) return this.batches[i].baseOffset;
    return this.nextOffset;
  }

  /** Calls `wake` once at the next append; the returned function cancels that. */
  onNextAppend(wake: () => void): () => void {
    this.waiters.add(wake);
    return () => this.waiters.delete(wake);
  }
}

/** The relay's topics: partitions as rings, created by CreateTopics. */
export class RelayStore {
  readonly topics = new Map<string, { topicId: string; configs: Record<string, string>; partitions: PartitionRing[] }>();

  constructor(private readonly ringBytes: number) {}

  create(name: string, partitions: number, configs: Record<string, string>): string {
    const n = this.topics.size + 1;
    const topicId = `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;
    this.topics.set(name, { topicId, configs, partitions: Array.from({ length: partitions }, () => new PartitionRing(this.ringBytes)) });
    return topicId;
  }

  ring(topic: string, partition: number): PartitionRing | undefined {
    return this.topics.get(topic)?.partitions[partition];
  }

  produce(parts: ProducePartitionInput[]): ProducePartitionOutcome[] {
    return parts.map(({ topic, partition, records }) => {
      const ring = this.ring(topic, partition);
      const base = { topic, partition, errorMessage: null, logAppendTimeMs: -1n };
      if (!ring) return { ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, baseOffset: -1n, logStartOffset: -1n };
      return { ...base, errorCode: ErrorCode.NONE, baseOffset: ring.append(records), logStartOffset: ring.logStartOffset };
    });
  }

  /** Fetch with Kafka's wait: answers at once when any partition has data, else at the next append or after maxWaitMs. */
  async fetch(opts: { maxWaitMs: number; maxBytes: number }, parts: FetchPartitionInput[]): Promise<FetchPartitionOutcome[]> {
    const first = this.read(opts.maxBytes, parts);
    if (opts.maxWaitMs <= 0 || first.some((o) => o.records.length > 0 || o.errorCode !== ErrorCode.NONE)) return first;
    const rings = parts.map((p) => this.ring(p.topic, p.partition)).filter((r): r is PartitionRing => r !== undefined);
    await new Promise<void>((resolve) => {
      const cancels: (() => void)[] = [];
      const done = () => {
        clearTimeout(timer);
        for (const c of cancels) c();
        resolve();
      };
      const timer = setTimeout(done, opts.maxWaitMs);
      for (const r of rings) cancels.push(r.onNextAppend(done));
    });
    return this.read(opts.maxBytes, parts);
  }

  private read(maxBytes: number, parts: FetchPartitionInput[]): FetchPartitionOutcome[] {
    let budget = maxBytes;
    return parts.map(({ topic, partition, fetchOffset, partitionMaxBytes }) => {
      const ring = this.ring(topic, partition);
      const empty = { topic, partition, lastStableOffset: -1n, records: Buffer.alloc(0) };
      if (!ring) return { ...empty, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, highWatermark: -1n, logStartOffset: -1n };
      const marks = { highWatermark: ring.nextOffset, lastStableOffset: ring.nextOffset, logStartOffset: ring.logStartOffset };
      if (fetchOffset < ring.logStartOffset || fetchOffset > ring.nextOffset) return { ...empty, ...marks, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE };
      const chunks = budget > 0 ? ring.read(fetchOffset, Math.min(partitionMaxBytes, budget)) : [];
      const records = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
      budget -= records.length;
      return { topic, partition, errorCode: ErrorCode.NONE, ...marks, records };
    });
  }

  listOffsets(parts: ListOffsetsInput[]): ListOffsetsOutcome[] {
    return parts.map(({ topic, partition, timestamp }) => {
      const ring = this.ring(topic, partition);
      const base = { topic, partition, leaderEpoch: 0, timestamp: -1n };
      if (!ring) return { ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, offset: -1n };
      if (timestamp === -1n) return { ...base, errorCode: ErrorCode.NONE, offset: ring.nextOffset };
      if (timestamp === -2n) return { ...base, errorCode: ErrorCode.NONE, offset: ring.logStartOffset };
      if (timestamp < 0n) return { ...base, errorCode: ErrorCode.UNSUPPORTED_VERSION, offset: -1n };
      return { ...base, errorCode: ErrorCode.NONE, offset: ring.offsetForTime(timestamp) };
    });
  }
}
