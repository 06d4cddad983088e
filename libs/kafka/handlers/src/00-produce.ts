// Produce (0)
// Behavior: checks each partition's batches here (framing, magic 2, CRC-32C, size) without
//   decoding records, forwards the good ones to the storage leaders through the storage port and
//   merges the answers in request order. acks=0 sends no response.
//   The storage leader applies the topic's settings (segment.bytes, max.message.bytes, message.timestamp.*,
//   compression.type, cleanup.policy=compact needing keys); a refused record is named in
//   record_errors with error_message (v8+; older versions carry the error code only).
// Version notes: v3+ only (magic 2 batches); Kafka 4 removed v0-v2 but still advertises them
//   (KAFKA-18659: librdkafka decides compression support from Produce v0): so do we, and a v0-v2
//   request closes the connection, as Kafka's does. v12 is v11 on the wire (KIP-890; without a
//   finalized transaction.version 2 clients still add partitions with AddPartitionsToTxn).
//   v13+ names topics by id (KIP-516): an unknown id answers UNKNOWN_TOPIC_ID.
//   Needs WRITE on each topic, else TOPIC_AUTHORIZATION_FAILED for its partitions. Internal topics
//   (__consumer_offsets) answer INVALID_TOPIC_EXCEPTION, as Kafka: only the coordinators append
//   to them, straight to the storage broker, never through a gateway.
//   Idempotent and transactional batches (producer id >= 0) are checked by the partition leader's
//   producer state: a retry of one of the producer's last five batches answers its original base
//   offset, a gap OUT_OF_ORDER_SEQUENCE_NUMBER, an old epoch INVALID_PRODUCER_EPOCH, an unknown
//   producer with a sequence other than 0 UNKNOWN_PRODUCER_ID, a non-transactional write inside an
//   open transaction INVALID_TXN_STATE, a control batch INVALID_RECORD. A request carrying
//   transactional batches needs WRITE on its transactional id, else every partition answers
//   TRANSACTIONAL_ID_AUTHORIZATION_FAILED.
// Not implemented: KIP-890 verification that a partition was added to the transaction before
//   its first transactional batch.
import { ATTR_TRANSACTIONAL, BATCH, BATCH_HEADER_SIZE, validateBatches } from '@dms/kafka-codec';
import { ErrorCode } from '@dms/kafka-errors';
import { authorized, Operation, Resource } from './authorize';
import type { KafkaHandler } from './handler';
import type { ProducePartitionInput, ProducePartitionOutcome, RequestContext } from './ports';
import { isInternalTopic } from './topic-names';

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

interface PartitionResult {
  index: number;
  errorCode: number;
  baseOffset: bigint;
  logAppendTimeMs: bigint;
  logStartOffset: bigint;
  recordErrors: { batchIndex: number; batchIndexErrorMessage: string | null }[];
  errorMessage: string | null;
}

function failed(index: number, errorCode: number, errorMessage: string | null = null): PartitionResult {
  return { index, errorCode, baseOffset: -1n, logAppendTimeMs: -1n, logStartOffset: -1n, recordErrors: [], errorMessage };
}

function fill(r: PartitionResult, o: ProducePartitionOutcome): void {
  r.errorCode = o.errorCode;
  r.errorMessage = o.errorMessage;
  r.baseOffset = o.baseOffset;
  r.logAppendTimeMs = o.logAppendTimeMs;
  r.logStartOffset = o.logStartOffset;
  if (o.recordErrors && o.recordErrors.length > 0) {
    r.recordErrors = o.recordErrors.map((e) => ({ batchIndex: e.batchIndex, batchIndexErrorMessage: e.message || null }));
  }
}

/** Whether any partition's first batch is transactional (a client's transaction covers the whole request). */
function hasTransactionalRecords(req: any): boolean {
  for (const t of req.topicData as any[]) {
    for (const p of t.partitionData as any[]) {
      const r: Buffer | null = p.records;
      if (r && r.length >= BATCH_HEADER_SIZE && (r.readInt16BE(BATCH.attributes) & ATTR_TRANSACTIONAL) !== 0) return true;
    }
  }
  return false;
}

/** Returns an error result for a partition's records, or null when they may be appended. */
export function checkRecords(records: Buffer | null, maxBytes: number): { code: number; message: string } | null {
  if (records === null || records.length === 0) return { code: ErrorCode.CORRUPT_MESSAGE, message: 'no record batch' };
  const { problem, positions } = validateBatches(records, true);
  switch (problem.kind) {
    case 'ok':
      break;
    case 'bad-magic':
      return { code: ErrorCode.INVALID_RECORD, message: `unsupported record batch magic ${problem.magic}` };
    case 'bad-crc':
      return { code: ErrorCode.CORRUPT_MESSAGE, message: `record batch at byte ${problem.at} fails its CRC` };
    default:
      return { code: ErrorCode.CORRUPT_MESSAGE, message: `malformed record batch at byte ${problem.at}` };
  }
  for (let i = 0; i < positions.length; i++) {
    const end = i + 1 < positions.length ? positions[i + 1] : records.length;
    if (end - positions[i] > maxBytes) {
      return { code: ErrorCode.MESSAGE_TOO_LARGE, message: `record batch of ${end - positions[i]} bytes exceeds ${maxBytes}` };
    }
  }
  return null;
}

interface TopicResult {
  name: string;
  topicId: string;
  partitionResponses: PartitionResult[];
}

function produce(ctx: RequestContext, req: any, version: number): Promise<{ responses: TopicResult[]; throttleTimeMs: number } | undefined> {
  const byId = version >= 13;
  const acks: number = req.acks;
  // In request order; a topic named twice keeps both entries, as clients match them by position.
  const responses: TopicResult[] = [];
  const forward: ProducePartitionInput[] = [];
  // The result each forwarded partition's outcome fills, by position in `forward`.
  const forwardedTo: PartitionResult[] = [];
  const txnRefused = hasTransactionalRecords(req) && !(req.transactionalId != null && authorized(ctx, Operation.WRITE, Resource.TRANSACTIONAL_ID, req.transactionalId));
  for (const t of req.topicData as any[]) {
    const list: PartitionResult[] = [];
    const view = byId ? ctx.cluster.topicById(t.topicId) : ctx.cluster.topic(t.name);
    const name: string = view?.name ?? t.name ?? '';
    responses.push({ name, topicId: t.topicId ?? view?.topicId ?? ZERO_UUID, partitionResponses: list });
    if (byId && !view) {
      for (const p of t.partitionData as any[]) list.push(failed(p.index, ErrorCode.UNKNOWN_TOPIC_ID));
      continue;
    }
    if (txnRefused) {
      for (const p of t.partitionData as any[]) list.push(failed(p.index, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED));
      continue;
    }
    const allowed = authorized(ctx, Operation.WRITE, Resource.TOPIC, name);
    for (const p of t.partitionData as any[]) {
      if (!allowed) {
        list.push(failed(p.index, ErrorCode.TOPIC_AUTHORIZATION_FAILED));
        continue;
      }
      if (isInternalTopic(name)) {
        list.push(failed(p.index, ErrorCode.INVALID_TOPIC_EXCEPTION, `Cannot append to internal topic ${name}`));
        continue;
      }
      if (acks !== -1 && acks !== 0 && acks !== 1) {
        list.push(failed(p.index, ErrorCode.INVALID_REQUIRED_ACKS));
        continue;
      }
      const part = view?.partitions[p.index];
      if (!view || !part) {
        list.push(failed(p.index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
        continue;
      }
      // The topic's effective value (topic, then dynamic and static broker settings), as the broker applies it.
      const maxBytes = Number(ctx.cluster.effectiveTopicConfigs?.(name)?.['max.message.bytes'] ?? view.configs['max.message.bytes'] ?? ctx.cluster.config.messageMaxBytes);
      const problem = checkRecords(p.records, maxBytes);
      if (problem) {
        list.push(failed(p.index, problem.code, problem.message));
        continue;
      }
      const pending = failed(p.index, ErrorCode.NONE);
      list.push(pending);
      forward.push({ topic: name, partition: p.index, records: p.records });
      forwardedTo.push(pending);
    }
  }
  const answer = acks === 0 ? undefined : { responses, throttleTimeMs: 0 };
  if (forward.length === 0) return Promise.resolve(answer);
  return ctx.storage.produce(acks, req.timeoutMs, forward).then((outcomes) => {
    // The storage port answers in the order it was asked; a partition it does not answer keeps NONE with offset -1, as before.
    const inOrder = outcomes.length === forward.length && outcomes.every((o, i) => o.partition === forward[i]!.partition && o.topic === forward[i]!.topic);
    const byKey = inOrder ? undefined : new Map(outcomes.map((o) => [`${o.topic}\0${o.partition}`, o]));
    for (let i = 0; i < forward.length; i++) {
      const f = forward[i]!;
      const o = byKey ? byKey.get(`${f.topic}\0${f.partition}`) : outcomes[i];
      if (o) fill(forwardedTo[i]!, o);
    }
    return answer;
  });
}

export const produceHandler: KafkaHandler = {
  apiKey: 0,
  name: 'Produce',
  minVersion: 3,
  maxVersion: 13,
  advertisedMinVersion: 0,
  acl: ['TOPIC:WRITE', 'TRANSACTIONAL_ID:WRITE'],
  handle(ctx, req: any, version) {
    // Not async: the checks run at once and the only wait is the storage port's (one promise per request).
    try {
      return produce(ctx, req, version);
    } catch (err) {
      return Promise.reject(err);
    }
  },
};
