import { TransactionalProducer, type KafkaClient } from '@dms/kafka-client';
import { countError, MAX_ERRORS } from './load';
import type { BenchOptions } from './options';
import { LatencyRecorder, summarize, type PhaseResult } from './stats';

/**
 * Produce in transactions with one transactional producer until time is up: each transaction
 * sends ceil(recordsPerTxn / batchSize) copies of the batch round-robin over the partitions
 * (pipelined, at most five per partition as the idempotent producer allows), then commits
 * (which waits for them all). Batch latency is send to acknowledgement; transaction latency is
 * begin to commit done. Only committed records count; a failed transaction is aborted.
 */
export async function runTransactionalProduce(client: KafkaClient, o: BenchOptions, batch: Buffer, progress?: { bytes: number }): Promise<PhaseResult> {
  const producer = await TransactionalProducer.init(client, { transactionalId: o.transactionalId!, transactionTimeoutMs: 60_000 });
  const batchesPerTxn = Math.max(1, Math.ceil(o.recordsPerTxn / o.batchSize));
  const latencies = new LatencyRecorder();
  const txnLatencies = new LatencyRecorder();
  const errors: Record<string, number> = {};
  let requests = 0;
  let committed = 0;
  let failed = 0;
  let next = 0;
  const started = performance.now();
  const deadline = started + o.durationS * 1000;
  try {
    while (performance.now() < deadline && failed < MAX_ERRORS) {
      const t0 = performance.now();
      producer.beginTransaction();
      const sends: Promise<void>[] = [];
      for (let i = 0; i < batchesPerTxn; i++) {
        const s0 = performance.now();
        sends.push(producer.send(o.topic, next++ % o.partitions, batch).then(() => latencies.add(performance.now() - s0)));
      }
      try {
        await Promise.all(sends);
        await producer.commitTransaction();
        txnLatencies.add(performance.now() - t0);
        committed++;
        requests += batchesPerTxn;
        if (progress) progress.bytes += batchesPerTxn * batch.length;
      } catch (err) {
        failed++;
        countError(errors, err);
        await Promise.allSettled(sends);
        if (producer.inTransaction) await producer.abortTransaction().catch((e: unknown) => countError(errors, e));
        // A fatal error (fenced, not authorized) ends the run: the producer can do nothing more.
        if (producer.hasFatalError) break;
      }
    }
  } finally {
    producer.close();
  }
  const seconds = (performance.now() - started) / 1000;
  const result = summarize('produce', seconds, requests, requests * o.batchSize, requests * batch.length, latencies, errors);
  const t = summarize('produce', seconds, committed, committed, 0, txnLatencies, {});
  return { ...result, transactions: { committed, perSec: Math.round(seconds > 0 ? (committed / seconds) * 10 : 0) / 10, latencyMs: t.latencyMs } };
}
