// Appends to a partition log: as leader (offsets and epoch assigned here, producer sequences
// checked), as follower (offsets as the leader wrote them), and end-transaction markers.
import { ATTR_TIMESTAMP_TYPE, BATCH, rewriteBatchCrc, validateBatches } from '@dms/kafka-codec';
import { type BatchInfo, batchInfoAt } from './batch-scan';
import { enqueue } from './log-enqueue';
import { LogError } from './log-error';
import { indexAborted } from './log-producers';
import type { LogState } from './log-state';
import type { AppendOptions, AppendResult, TxnMarker } from './log-types';
import { producerFieldsAt } from './producer-state/batch-producer-fields';
import { buildMarkerBatch, planProducerAppend } from './producer-state/leader-append';
import { abortedEntry, applyBatch } from './producer-state/replay';
import type { AbortedTxn } from './txn-index';

/**
 * Appends producer batches: assigns offsets and the leader epoch in place, optionally
 * stamps LogAppendTime, and resolves once the bytes are written (and synced if configured).
 */
export function appendAsLeader(s: LogState, batches: Buffer, opts: AppendOptions): Promise<AppendResult> {
  try {
    s.checkWritable();
    const infos = walkBatches(batches);
    const latest = s.epochs.latest();
    if (latest && opts.leaderEpoch < latest.epoch) {
      throw new LogError('fenced-leader-epoch', `leader epoch ${opts.leaderEpoch} is older than ${latest.epoch}`);
    }
    const plan = planProducerAppend(s.producers, batches, infos, opts.origin ?? 'client');
    if (plan.duplicate) return duplicateResult(s, plan.duplicate.firstOffset, plan.duplicate.lastOffset);
    const baseOffset = s.nextOffset;
    let next = baseOffset;
    for (const info of infos) {
      const at = info.position;
      const delta = info.lastOffset - info.baseOffset;
      batches.writeBigInt64BE(next, at + BATCH.baseOffset);
      batches.writeInt32BE(opts.leaderEpoch, at + BATCH.partitionLeaderEpoch);
      if (opts.logAppendTime !== undefined) {
        info.attributes |= ATTR_TIMESTAMP_TYPE;
        batches.writeInt16BE(info.attributes, at + BATCH.attributes);
        batches.writeBigInt64BE(opts.logAppendTime, at + BATCH.maxTimestamp);
        info.maxTimestamp = opts.logAppendTime;
        rewriteBatchCrc(batches, at);
      }
      info.baseOffset = next;
      info.lastOffset = next + delta;
      info.partitionLeaderEpoch = opts.leaderEpoch;
      next = info.lastOffset + 1n;
    }
    if (s.epochs.assign(opts.leaderEpoch, baseOffset)) s.epochsDirty = true;
    const written = enqueue(s, batches, infos, plan.apply);
    const logAppendTime = opts.logAppendTime ?? -1n;
    const answer = (): AppendResult => ({ baseOffset, lastOffset: next - 1n, logAppendTime, logStartOffset: s.startOffset });
    // Without flush.messages / flush.ms the completion needs no second step.
    if (!s.flushPolicy.active) return written.then(answer);
    return written.then(() => s.flushPolicy.recordsWritten(next - baseOffset)).then(answer);
  } catch (e) {
    return Promise.reject(e);
  }
}

/**
 * Appends batches that already carry offsets and leader epochs (a follower copying its
 * leader). Offsets must start at or after the log end and strictly increase.
 */
export function appendAsFollower(s: LogState, batches: Buffer): Promise<{ baseOffset: bigint; lastOffset: bigint }> {
  try {
    s.checkWritable();
    const infos = walkBatches(batches);
    let expected = s.nextOffset;
    for (const info of infos) {
      if (info.baseOffset < expected) {
        throw new LogError('unexpected-offset', `batch at offset ${info.baseOffset} does not continue the log at ${expected}`);
      }
      expected = info.lastOffset + 1n;
    }
    for (const info of infos) {
      const latest = s.epochs.latest();
      if (!latest || info.partitionLeaderEpoch > latest.epoch) {
        if (s.epochs.assign(info.partitionLeaderEpoch, info.baseOffset)) s.epochsDirty = true;
      }
    }
    // Followers keep producer state as their leader wrote it, so as new leader they deduplicate.
    let aborted: AbortedTxn[] | undefined;
    const applyProducer = (i: number) => {
      const fields = producerFieldsAt(batches, infos[i]!.position);
      if (!fields) return;
      const entry = applyBatch(s.producers, fields, 'replication');
      if (entry) (aborted ??= []).push(entry);
    };
    const result = { baseOffset: infos[0]!.baseOffset, lastOffset: expected - 1n };
    const written = enqueue(s, batches, infos, applyProducer);
    const indexed = aborted ? indexAborted(s, aborted, written) : written;
    if (!s.flushPolicy.active) return indexed.then(() => result);
    return indexed.then(() => s.flushPolicy.recordsWritten(expected - result.baseOffset)).then(() => result);
  } catch (e) {
    return Promise.reject(e);
  }
}

/**
 * Kafka's appendAsLeader for an end-transaction marker (see PartitionLog.appendControl): one
 * control batch, checked against and applied to the producer's state.
 */
export async function appendMarker(s: LogState, marker: TxnMarker, opts: { leaderEpoch: number; timestamp: bigint }): Promise<AppendResult> {
  const batch = await buildMarkerBatch(marker, opts.timestamp);
  // From here to the enqueue nothing awaits: the check, the offset and the state change are one step.
  s.checkWritable();
  const latest = s.epochs.latest();
  if (latest && opts.leaderEpoch < latest.epoch) {
    throw new LogError('fenced-leader-epoch', `leader epoch ${opts.leaderEpoch} is older than ${latest.epoch}`);
  }
  const fields = { committed: marker.committed, coordinatorEpoch: marker.coordinatorEpoch };
  s.producers.checkMarker(marker.producerId, marker.producerEpoch, fields);
  const [info] = walkBatches(batch);
  const offset = s.nextOffset;
  batch.writeBigInt64BE(offset, BATCH.baseOffset);
  batch.writeInt32BE(opts.leaderEpoch, BATCH.partitionLeaderEpoch);
  rewriteBatchCrc(batch, 0);
  info!.baseOffset = info!.lastOffset = offset;
  info!.partitionLeaderEpoch = opts.leaderEpoch;
  let entry: AbortedTxn | undefined;
  if (s.epochs.assign(opts.leaderEpoch, offset)) s.epochsDirty = true;
  const written = enqueue(s, batch, [info!], () => {
    entry = abortedEntry(s.producers, s.producers.applyMarker(marker.producerId, marker.producerEpoch, fields, offset, opts.timestamp));
  });
  await (entry ? indexAborted(s, [entry], written) : written);
  s.flushPolicy.recordsWritten(1n);
  return { baseOffset: offset, lastOffset: offset, logAppendTime: -1n, logStartOffset: s.startOffset };
}

/** A duplicate append answers once the original batch is written. */
function duplicateResult(s: LogState, baseOffset: bigint, lastOffset: bigint): Promise<AppendResult> {
  const written = lastOffset < s.writtenEnd ? Promise.resolve() : s.queue.idle();
  return written.then(() => {
    if (s.queue.failure) throw s.queue.failure;
    return { baseOffset, lastOffset, logAppendTime: -1n, logStartOffset: s.startOffset, duplicate: true };
  });
}

/** Headers of concatenated batches whose framing the caller validated; re-checked cheaply. */
function walkBatches(batches: Buffer): BatchInfo[] {
  if (batches.length === 0) throw new LogError('invalid-batch', 'no batches to append');
  const { problem, positions } = validateBatches(batches, false);
  if (problem.kind !== 'ok') throw new LogError('invalid-batch', `malformed record batches: ${problem.kind}`);
  return positions.map((p) => batchInfoAt(batches, p, p));
}
