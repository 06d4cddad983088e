import type { ReadBufferPool } from '@dms/rpc';

const FETCH = 1;

interface FetchAnswer {
  responses?: { partitions?: { records?: Uint8Array | null }[] }[];
}

/**
 * The KafkaConnection `onWritten` watch that ends the leases of the gathered storage Fetch answers
 * (internal.stream.transport=framed, decision 0042): a written Kafka Fetch response's record sets
 * are views of them, and nothing else holds those views (one storage answer feeds one Kafka
 * response). Several partitions of one answer share its buffer: the pool takes a lease back
 * once, so the later views of the same buffer are ignored. A Fetch response that is never
 * written (its connection closed) leaves its leases to the garbage collector.
 */
export function releaseFetchAnswers(pool: ReadBufferPool): { apiKey: number; written(body: unknown): void } {
  return {
    apiKey: FETCH,
    written(body) {
      for (const t of (body as FetchAnswer).responses ?? []) {
        for (const p of t.partitions ?? []) if (p.records) pool.release(p.records);
      }
    },
  };
}
