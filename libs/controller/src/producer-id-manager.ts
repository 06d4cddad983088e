import type { Etcd3 } from 'etcd3';
import { controllerLeaderKey, fencedTxn, producerIdBlockKey, producerIdBlockRecord, silentLog, type Log, type ProducerIdBlockRecord } from '@dms/cluster';
import { ErrorCode, KafkaError } from '@dms/kafka-errors';

/** Kafka's block size (ProducerIdsBlock.PRODUCER_ID_BLOCK_SIZE). */
export const PRODUCER_ID_BLOCK_SIZE = 1000;
const LONG_MAX = 0x7fffffffffffffffn;

export interface ProducerIdBlock {
  /** First id of the block. */
  start: bigint;
  /** Number of ids: [start, start + length). */
  length: number;
}

/**
 * The block after `latest` (the first block when nothing was handed out yet). Throws
 * KafkaError(UNKNOWN_SERVER_ERROR) once the int64 id space is used up, as Kafka does.
 */
export function nextProducerIdBlock(latest: ProducerIdBlockRecord | undefined, size = PRODUCER_ID_BLOCK_SIZE): ProducerIdBlock {
  const start = latest ? BigInt(latest.blockStart) + BigInt(latest.blockLen) : 0n;
  if (start > LONG_MAX - BigInt(size)) {
    throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, 'The producer id space is exhausted.');
  }
  return { start, length: size };
}

export interface ProducerIdManagerOptions {
  client: Etcd3;
  clusterName: string;
  /** The election revision while leader (the fencing token); undefined otherwise. */
  fence: () => string | undefined;
  blockSize?: number;
  log?: Log;
}

const ATTEMPTS = 5;

/**
 * Hands out blocks of producer ids (Kafka's AllocateProducerIds). The latest block lives in
 * etcd; each allocation reads it and writes the next one in a transaction fenced by the
 * controller's election and guarded by the key's mod revision, so two allocations never
 * overlap, and a new leader continues from what the old one wrote. Allocations on one
 * controller run one at a time (they would only race on the guard otherwise).
 */
export class ProducerIdManager {
  private readonly log: Log;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: ProducerIdManagerOptions) {
    this.log = opts.log ?? silentLog;
  }

  /** The next block for `requesterId`. Throws NotLeaderError when this controller is not (or no longer) the leader. */
  allocate(requesterId: number): Promise<ProducerIdBlock> {
    const run = this.queue.then(() => this.allocateNow(requesterId));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async allocateNow(requesterId: number): Promise<ProducerIdBlock> {
    const { client, clusterName } = this.opts;
    const key = producerIdBlockKey(clusterName);
    for (let attempt = 1; ; attempt++) {
      const fence = this.opts.fence();
      if (fence === undefined) throw new KafkaError(ErrorCode.NOT_CONTROLLER, 'This is not the active controller.');
      const res = await client.get(key).exec();
      const kv = res.kvs[0];
      let latest: ProducerIdBlockRecord | undefined;
      if (kv) {
        latest = producerIdBlockRecord.decode(kv.value);
        // Never restart from 0 over a record we cannot read: that would reuse ids.
        if (!latest) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, `The latest producer id block in ${key} is unreadable.`);
      }
      const block = nextProducerIdBlock(latest, this.opts.blockSize);
      const record: ProducerIdBlockRecord = { assignedTo: requesterId, blockStart: block.start.toString(), blockLen: block.length };
      const txn = fencedTxn(client, controllerLeaderKey(clusterName), fence);
      if (kv) txn.and(key, 'Mod', '==', String(kv.mod_revision));
      else txn.and(key, 'Create', '==', 0);
      const written = await txn.then(client.put(key).value(producerIdBlockRecord.encode(record))).commit();
      if (written.succeeded) {
        this.log.info({ requesterId, blockStart: record.blockStart, blockLen: block.length }, 'allocated producer id block');
        return block;
      }
      if (attempt >= ATTEMPTS) throw new KafkaError(ErrorCode.UNKNOWN_SERVER_ERROR, 'The producer id block changed under every attempt.');
    }
  }
}
