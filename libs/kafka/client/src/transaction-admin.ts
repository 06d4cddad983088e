import { ErrorCode, KafkaError, isRetriable } from '@dms/kafka-errors';
import { ApiKey } from '@dms/kafka-schema';
import type { KafkaClient } from './client';

export interface TransactionListing {
  transactionalId: string;
  producerId: bigint;
  state: string;
}

export interface TransactionDescription {
  transactionalId: string;
  /** Node id of the coordinator (the gateway FindCoordinator named). */
  coordinatorId: number;
  state: string;
  producerId: bigint;
  producerEpoch: number;
  timeoutMs: number;
  /** -1 when no transaction runs. */
  startTimeMs: bigint;
  topicPartitions: { topic: string; partition: number }[];
}

export interface TransactionListFilter {
  states?: string[];
  producerIds?: bigint[];
  /** Only transactions running longer than this (ms); KIP-994. */
  durationMs?: bigint;
}

const COORDINATOR_RETRY = new Set<number>([ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.NOT_COORDINATOR]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Transaction administration over the Kafka protocol (what kafka-transactions.sh uses). */
export class TransactionAdmin {
  constructor(
    private readonly client: KafkaClient,
    private readonly opts: { retries?: number; retryBackoffMs?: number } = {},
  ) {}

  async listTransactions(filter: TransactionListFilter = {}): Promise<TransactionListing[]> {
    const conn = await this.client.anyBrokerConnection();
    const res = await conn.request<any>(ApiKey.ListTransactions, {
      stateFilters: filter.states ?? [],
      producerIdFilters: filter.producerIds ?? [],
      durationFilter: filter.durationMs ?? -1n,
    });
    if (res.errorCode !== ErrorCode.NONE) throw new KafkaError(res.errorCode);
    if ((res.unknownStateFilters ?? []).length > 0) throw new KafkaError(ErrorCode.INVALID_REQUEST, `unknown transaction states: ${res.unknownStateFilters.join(', ')}`);
    return (res.transactionStates as any[]).map((t) => ({ transactionalId: t.transactionalId, producerId: t.producerId, state: t.transactionState }));
  }

  /** The coordinator node id of each transactional id (-1 where none is available), in one batched FindCoordinator. */
  async coordinators(transactionalIds: string[]): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    if (transactionalIds.length === 0) return out;
    const conn = await this.client.anyBrokerConnection();
    const res = await conn.request<any>(ApiKey.FindCoordinator, { keyType: 1, key: transactionalIds[0], coordinatorKeys: transactionalIds });
    const answers: any[] = res.coordinators ?? [{ key: transactionalIds[0], ...res }];
    for (const c of answers) out.set(c.key, c.errorCode === ErrorCode.NONE ? c.nodeId : -1);
    return out;
  }

  /** The transaction of `transactionalId` on its coordinator (found again while it moves). */
  async describeTransaction(transactionalId: string): Promise<TransactionDescription> {
    const retries = this.opts.retries ?? 20;
    for (let attempt = 0; ; attempt++) {
      let code: number;
      try {
        const conn = await this.client.anyBrokerConnection();
        const found = await conn.request<any>(ApiKey.FindCoordinator, { key: transactionalId, keyType: 1, coordinatorKeys: [transactionalId] });
        const c = found.coordinators ? found.coordinators[0] : found;
        code = c.errorCode;
        if (code === ErrorCode.NONE) {
          const coordinator = await this.client.connectionToBroker(c.host, c.port);
          const res = await coordinator.request<any>(ApiKey.DescribeTransactions, { transactionalIds: [transactionalId] });
          const t = res.transactionStates[0];
          code = t.errorCode;
          if (code === ErrorCode.NONE) {
            return {
              transactionalId,
              coordinatorId: c.nodeId,
              state: t.transactionState,
              producerId: t.producerId,
              producerEpoch: t.producerEpoch,
              timeoutMs: t.transactionTimeoutMs,
              startTimeMs: t.transactionStartTimeMs,
              topicPartitions: (t.topics as any[]).flatMap((tp) => (tp.partitions as number[]).map((partition) => ({ topic: tp.topic as string, partition }))),
            };
          }
        }
      } catch (err) {
        code = err instanceof KafkaError ? err.code : ErrorCode.NETWORK_EXCEPTION;
        if (!(COORDINATOR_RETRY.has(code) || isRetriable(code)) || attempt >= retries) throw err;
      }
      if (!COORDINATOR_RETRY.has(code) || attempt >= retries) throw new KafkaError(code);
      await sleep((this.opts.retryBackoffMs ?? 100) * Math.min(attempt + 1, 5));
    }
  }
}
