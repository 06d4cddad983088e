import { ErrorCode } from '@dms/kafka-errors';

interface FakeTransaction {
  producerId: bigint;
  epoch: number;
  timeoutMs: number;
  /** `topic\0partition` of the running transaction. */
  partitions: Set<string>;
}

export interface FakeTxnEnd {
  transactionalId: string;
  committed: boolean;
  partitions: string[];
}

/**
 * The fake broker's transaction coordinator: InitProducerId with a transactional id keeps the
 * id's producer id and bumps its epoch (fencing the previous holder), AddPartitionsToTxn records
 * partitions, EndTxn ends the transaction (recorded in `ends`, no markers written). Enough for
 * the client's state machine; no timeouts, no prepare phases.
 */
export class FakeTxnCoordinator {
  readonly transactions = new Map<string, FakeTransaction>();
  readonly ends: FakeTxnEnd[] = [];
  private nextProducerId = 5000n;

  initProducerId(body: any): object {
    const answer = (errorCode: number, producerId = -1n, producerEpoch = -1) => ({ throttleTimeMs: 0, errorCode, producerId, producerEpoch });
    let t = this.transactions.get(body.transactionalId);
    if (!t) {
      t = { producerId: this.nextProducerId++, epoch: -1, timeoutMs: body.transactionTimeoutMs, partitions: new Set() };
      this.transactions.set(body.transactionalId, t);
    } else if (body.producerId >= 0n && (body.producerId !== t.producerId || body.producerEpoch !== t.epoch)) {
      return answer(ErrorCode.PRODUCER_FENCED);
    }
    // A new holder of the id aborts what the previous one left open.
    if (t.partitions.size > 0) this.end(body.transactionalId, t, false);
    t.epoch++;
    t.timeoutMs = body.transactionTimeoutMs;
    return answer(ErrorCode.NONE, t.producerId, t.epoch);
  }

  addPartitionsToTxn(body: any): object {
    const t = this.transactions.get(body.v3AndBelowTransactionalId);
    const code = this.check(t, body.v3AndBelowProducerId, body.v3AndBelowProducerEpoch);
    for (const topic of body.v3AndBelowTopics) for (const p of topic.partitions) if (code === ErrorCode.NONE) t!.partitions.add(`${topic.name}\0${p}`);
    return {
      throttleTimeMs: 0,
      resultsByTopicV3AndBelow: body.v3AndBelowTopics.map((topic: any) => ({
        name: topic.name,
        resultsByPartition: topic.partitions.map((p: number) => ({ partitionIndex: p, partitionErrorCode: code })),
      })),
    };
  }

  endTxn(body: any): object {
    const t = this.transactions.get(body.transactionalId);
    let code = this.check(t, body.producerId, body.producerEpoch);
    if (code === ErrorCode.NONE && t!.partitions.size === 0) code = ErrorCode.INVALID_TXN_STATE;
    if (code === ErrorCode.NONE) this.end(body.transactionalId, t!, body.committed);
    return { throttleTimeMs: 0, errorCode: code };
  }

  /** Whether a transactional batch of this producer may go to the partition (it joined the transaction). */
  inTransaction(producerId: bigint, topic: string, partition: number): boolean {
    for (const t of this.transactions.values()) if (t.producerId === producerId) return t.partitions.has(`${topic}\0${partition}`);
    return false;
  }

  private check(t: FakeTransaction | undefined, producerId: bigint, epoch: number): number {
    if (!t || t.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (epoch < t.epoch) return ErrorCode.PRODUCER_FENCED;
    return ErrorCode.NONE;
  }

  private end(transactionalId: string, t: FakeTransaction, committed: boolean): void {
    this.ends.push({ transactionalId, committed, partitions: [...t.partitions].map((k) => k.replace('\0', '-')) });
    t.partitions.clear();
  }
}
