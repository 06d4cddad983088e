import { buildRecordBatch, wholeBatchHeaders } from '@dms/kafka-codec';
import { errorName, IdempotentProducer, KafkaError, type KafkaClient, EARLIEST_TIMESTAMP, LATEST_TIMESTAMP } from '@dms/kafka-client';
import { LatencyRecorder, summarize, type PhaseResult } from './stats';
import type { BenchOptions } from './options';

/**
 * Values are printable text drawn from a small alphabet: compressible like real payloads
 * rather than all-zero (which flatters codecs) or random (which defeats them).
 */
export function makeValue(size: number, seed: number): Buffer {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789-_ ';
  const out = Buffer.allocUnsafe(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x ^= x << 13; x ^= x >>> 17; x ^= x << 5;
    out[i] = alphabet.charCodeAt((x >>> 0) % alphabet.length);
  }
  return out;
}

/** One batch built up front and sent over and over: the broker assigns offsets to its own copy. */
export async function prebuildBatch(o: BenchOptions): Promise<Buffer> {
  const records = Array.from({ length: o.batchSize }, (_, i) => ({
    key: o.keys > 0 ? `key-${i % o.keys}` : undefined,
    value: makeValue(o.recordSize, i + 1),
  }));
  return buildRecordBatch({ compression: o.compression, records });
}

export function countError(errors: Record<string, number>, err: unknown): void {
  const name = err instanceof KafkaError ? errorName(err.code) : err instanceof Error ? err.message : String(err);
  errors[name] = (errors[name] ?? 0) + 1;
}

export const MAX_ERRORS = 1000;

/**
 * Keeps `inFlight` produce requests outstanding round-robin over the partitions until time is up.
 * With --idempotent the batch goes through the idempotent producer, which stamps each send with
 * the partition's next sequence (a copy of the batch per send, as a real producer builds one).
 */
export async function runProduce(client: KafkaClient, o: BenchOptions, batch: Buffer, progress?: { bytes: number }): Promise<PhaseResult> {
  const idempotent = o.idempotent ? await IdempotentProducer.create(client) : undefined;
  const send = (partition: number) => (idempotent ? idempotent.send(o.topic, partition, batch) : client.produce(o.topic, partition, batch, o.acks, 30_000));
  const latencies = new LatencyRecorder();
  const errors: Record<string, number> = {};
  let requests = 0;
  let failed = 0;
  let next = 0;
  const started = performance.now();
  const deadline = started + o.durationS * 1000;
  const slot = async () => {
    while (performance.now() < deadline && failed < MAX_ERRORS) {
      const partition = next++ % o.partitions;
      const t0 = performance.now();
      try {
        await send(partition);
        latencies.add(performance.now() - t0);
        requests++;
        if (progress) progress.bytes += batch.length;
      } catch (err) {
        failed++;
        countError(errors, err);
      }
    }
  };
  await Promise.all(Array.from({ length: o.inFlight }, slot));
  idempotent?.close();
  const seconds = (performance.now() - started) / 1000;
  return summarize('produce', seconds, requests, requests * o.batchSize, requests * batch.length, latencies, errors);
}

/**
 * Fetches every partition from `from` (earliest when absent) until each reaches the end it had
 * when the phase began or time is up. Records are counted from batch headers, not decoded: the
 * figure is the cluster's delivery rate, not this process's decoding speed.
 */
export async function runConsume(client: KafkaClient, o: BenchOptions, from?: bigint[]): Promise<PhaseResult> {
  const latencies = new LatencyRecorder();
  const errors: Record<string, number> = {};
  let requests = 0;
  let records = 0;
  let bytes = 0;
  let failed = 0;
  const partitions = [...Array(o.partitions).keys()];
  const starts = from ?? (await Promise.all(partitions.map(async (p) => (await client.listOffsets(o.topic, p, EARLIEST_TIMESTAMP)).offset)));
  const ends = await Promise.all(partitions.map(async (p) => (await client.listOffsets(o.topic, p, LATEST_TIMESTAMP)).offset));
  const started = performance.now();
  const deadline = started + o.durationS * 1000;
  // One fetch per partition at a time (the next offset depends on the last answer), so the
  // partitions themselves provide the concurrency, capped by --in-flight.
  let cursor = 0;
  const worker = async () => {
    while (cursor < partitions.length) {
      const p = partitions[cursor++];
      let offset = starts[p];
      while (offset < ends[p] && performance.now() < deadline && failed < MAX_ERRORS) {
        const t0 = performance.now();
        try {
          const res = await client.fetch(o.topic, p, offset, o.fetchMaxBytes, 100);
          latencies.add(performance.now() - t0);
          requests++;
          for (const h of wholeBatchHeaders(res.records)) {
            records += h.recordCount;
            bytes += h.sizeInBytes;
            offset = h.baseOffset + BigInt(h.lastOffsetDelta) + 1n;
          }
        } catch (err) {
          failed++;
          countError(errors, err);
        }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(o.inFlight, partitions.length) }, worker));
  const seconds = (performance.now() - started) / 1000;
  return summarize('consume', seconds, requests, records, bytes, latencies, errors);
}
