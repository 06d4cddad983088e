import { BATCH, BATCH_LOG_OVERHEAD, readBatchHeader } from '@dms/kafka-codec';
import { LATEST_TIMESTAMP, type KafkaClient } from '@dms/kafka-client';
import { countError, MAX_ERRORS } from './load';
import { drainMs } from './open-loop';
import type { BenchOptions } from './options';
import { LatencyRecorder, summarize, type PhaseResult } from './stats';

/** The partitions consumer `c` of `n` reads: a share when there are enough partitions, else one each in turn. */
export function partitionsOfConsumer(c: number, n: number, partitions: number): number[] {
  if (n > partitions) return [c % partitions];
  const out: number[] = [];
  for (let p = c; p < partitions; p += n) out.push(p);
  return out;
}

/**
 * Consumers that tail the topic while the produce phase runs, each with its own client (its own
 * connection), from the offsets the topic had before producing. Once `produced` resolves they
 * read on to the end offsets the topic then has (bounded by the phase length again, at least 5 s). With
 * `endToEnd`, each batch's newest timestamp is the due time the producer stamped into it, and
 * receipt minus that time is recorded once per record of the batch (millisecond timestamps).
 */
export async function runConcurrentConsumers(
  clients: readonly KafkaClient[],
  o: BenchOptions,
  from: readonly bigint[],
  produced: Promise<unknown>,
  endToEnd: boolean,
): Promise<PhaseResult> {
  const latencies = new LatencyRecorder();
  const e2e = new LatencyRecorder();
  const errors: Record<string, number> = {};
  let requests = 0;
  let records = 0;
  let bytes = 0;
  let failed = 0;
  let ends: bigint[] | undefined;
  let drainDeadline = Number.POSITIVE_INFINITY;
  const started = performance.now();
  const endsKnown = produced.then(async () => {
    drainDeadline = performance.now() + drainMs(o.durationS);
    ends = await Promise.all(from.map(async (_, p) => (await clients[0].listOffsets(o.topic, p, LATEST_TIMESTAMP)).offset));
  }, () => { drainDeadline = performance.now(); });
  const tail = async (client: KafkaClient, p: number) => {
    let offset = from[p];
    for (;;) {
      if (failed >= MAX_ERRORS || performance.now() >= drainDeadline) return;
      if (ends && offset >= ends[p]) return;
      const t0 = performance.now();
      try {
        const res = await client.fetch(o.topic, p, offset, o.fetchMaxBytes, 100);
        const receivedWall = performance.timeOrigin + performance.now();
        latencies.add(performance.now() - t0);
        requests++;
        const buf = res.records;
        let pos = 0;
        while (buf.length - pos >= BATCH.records) {
          const size = buf.readInt32BE(pos + BATCH.batchLength) + BATCH_LOG_OVERHEAD;
          if (pos + size > buf.length) break;
          const h = readBatchHeader(buf, pos);
          if (h.baseOffset + BigInt(h.lastOffsetDelta) >= offset) {
            records += h.recordCount;
            bytes += size;
            if (endToEnd) {
              const ms = receivedWall - Number(buf.readBigInt64BE(pos + BATCH.maxTimestamp));
              for (let i = 0; i < h.recordCount; i++) e2e.add(ms);
            }
            offset = h.baseOffset + BigInt(h.lastOffsetDelta) + 1n;
          }
          pos += size;
        }
      } catch (err) {
        failed++;
        countError(errors, err);
      }
    }
  };
  await Promise.all(clients.map((client, c) => Promise.all(partitionsOfConsumer(c, clients.length, o.partitions).map((p) => tail(client, p)))));
  await endsKnown;
  const seconds = (performance.now() - started) / 1000;
  const result = summarize('concurrent-consume', seconds, requests, records, bytes, latencies, errors);
  if (!endToEnd) return result;
  const [p50, p99, p999, max] = e2e.percentiles([0.5, 0.99, 0.999, 1]);
  const r = (x: number | null) => (x === null ? null : Math.round(x * 10) / 10);
  return { ...result, endToEndMs: { p50: r(p50), p99: r(p99), p999: r(p999), max: r(max) } };
}
