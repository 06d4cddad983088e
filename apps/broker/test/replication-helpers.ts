// Shared by the replication integration specs: etcd reads of partition state, a sequence-numbered
// acks=all producer that survives failures, and a reader of everything below the high watermark.
import { Etcd3 } from 'etcd3';
import { buildRecordBatch } from '@dms/kafka-codec';
import { KafkaClient, readPartitionValues } from '@dms/kafka-client';
import { partitionKey, partitionState, type PartitionState } from '@dms/cluster';
import { waitFor } from '@dms/devcluster';

export async function stateOf(etcd: Etcd3, topic: string, partition = 0): Promise<PartitionState> {
  const raw = await etcd.get(partitionKey('dms', topic, partition)).buffer();
  const s = partitionState.decode(raw);
  if (!s) throw new Error(`no state for ${topic}-${partition}`);
  return s;
}

export function waitState(etcd: Etcd3, topic: string, what: string, ok: (s: PartitionState) => boolean, timeoutMs = 20_000): Promise<PartitionState> {
  return waitFor(what, async () => {
    const s = await stateOf(etcd, topic);
    return ok(s) ? s : false;
  }, timeoutMs, 100);
}

export interface Producer {
  acked: string[];
  /** Longest time between two acknowledgements while running, ms. */
  longestGapMs(): number;
  /** Error codes seen (per failed attempt). */
  errors: number[];
  stop(): Promise<void>;
}

/** Writes `prefix-<n>` one at a time with the given acks; a failed write is retried as a new record. */
export function startProducer(client: KafkaClient, topic: string, prefix: string, acks = -1): Producer {
  const acked: string[] = [];
  const errors: number[] = [];
  let stopped = false;
  let lastAck = Date.now();
  let longest = 0;
  const run = (async () => {
    for (let i = 0; !stopped; i++) {
      const value = `${prefix}-${i}`;
      try {
        await client.produce(topic, 0, await buildRecordBatch({ records: [{ value }] }), acks, 5_000);
        acked.push(value);
        const now = Date.now();
        longest = Math.max(longest, now - lastAck);
        lastAck = now;
      } catch (e) {
        errors.push((e as { code?: number }).code ?? -1);
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  })();
  return {
    acked,
    errors,
    longestGapMs: () => longest,
    stop: async () => {
      stopped = true;
      await run;
    },
  };
}

/** Every record value of partition 0 below the high watermark, in offset order. */
export function readAll(client: KafkaClient, topic: string): Promise<string[]> {
  return readPartitionValues(client, topic, 0);
}

/** Whether `sub` appears in `all` in the same order (retries may have written duplicates between). */
export function isSubsequence(sub: readonly string[], all: readonly string[]): boolean {
  let i = 0;
  for (const v of all) if (i < sub.length && v === sub[i]) i++;
  return i === sub.length;
}
