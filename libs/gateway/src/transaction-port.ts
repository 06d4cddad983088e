import type { CallOptions, Metadata } from '@grpc/grpc-js';
import type { ClusterView } from '@dms/cluster';
import { OFFSETS_TOPIC, groupPartition } from '@dms/groups';
import { ErrorCode, KafkaError } from '@dms/kafka-errors';
import type {
  AddPartitionsToTxnInput,
  ClusterPort,
  ControllerPort,
  CoordinatorAnswer,
  DescribedTransactionOutcome,
  InitProducerIdInput,
  InitProducerIdOutcome,
  ListedTransactionOutcome,
  ListTransactionsFilter,
  TransactionPort,
  TxnProducerInput,
} from '@dms/kafka-handlers';
import { TransactionCoordinatorServiceClient, createClient, unary } from '@dms/rpc';
import { ProducerIdSource, TRANSACTION_STATE_TOPIC } from '@dms/transactions';
import type { GatewayControllerPort } from './controller-port';

const ALLOCATE_TIMEOUT_MS = 5_000;
/** Answers after which nothing changed at the coordinator, so the gateway may ask again. */
const MOVED = new Set<number>([ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS]);
const RETRY_PAUSE_MS = 100;
/** How long the gateway itself chases a moving coordinator before the client takes over. */
const MAX_ROUTE_WAIT_MS = 8_000;
const CALL_TIMEOUT_MS = 30_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Method<Req, Res> = (req: Req, metadata: Metadata, options: Partial<CallOptions>, cb: (err: Error | null, res: Res) => void) => unknown;

/**
 * Producer ids for idempotent producers, from blocks the controller leader allocates to this
 * gateway, and the transaction coordinator APIs: each goes to the storage broker leading the
 * transactional id's partition of __transaction_state, per this gateway's view; NOT_COORDINATOR
 * and COORDINATOR_LOAD_IN_PROGRESS are retried here for a while (as for groups).
 */
export class GatewayTransactionPort implements TransactionPort {
  private readonly producerIds: ProducerIdSource;
  private readonly clients = new Map<number, { address: string; client: TransactionCoordinatorServiceClient }>();
  private readonly creating = new Map<string, Promise<void>>();

  constructor(
    private readonly view: ClusterView,
    private readonly cluster: ClusterPort,
    private readonly controller: ControllerPort & Pick<GatewayControllerPort, 'allocateProducerIds'>,
    nodeId: number,
  ) {
    this.producerIds = new ProducerIdSource({
      fetchBlock: async () => {
        const res = await controller.allocateProducerIds(nodeId, ALLOCATE_TIMEOUT_MS);
        if (res.errorCode !== ErrorCode.NONE) {
          // Retriable for the client: a controller election or an etcd hiccup passes.
          throw new KafkaError(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, `no producer id block: ${res.errorMessage || res.errorCode}`);
        }
        return { start: res.producerIdStart, length: res.producerIdLen };
      },
    });
  }

  close(): void {
    for (const c of this.clients.values()) c.client.close();
    this.clients.clear();
  }

  newProducerId(): Promise<bigint> {
    return this.producerIds.next();
  }

  async findCoordinator(transactionalId: string, listenerName?: string): Promise<CoordinatorAnswer> {
    const none = { key: transactionalId, nodeId: -1, host: '', port: -1 };
    if (!this.cluster.topic(TRANSACTION_STATE_TOPIC)) await this.createInternalTopic(TRANSACTION_STATE_TOPIC);
    const topic = this.cluster.topic(TRANSACTION_STATE_TOPIC);
    if (!topic || topic.partitions.length === 0) {
      return { ...none, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: 'The coordinator is not available.' };
    }
    const p = topic.partitions[groupPartition(transactionalId, topic.partitions.length)];
    const node = p.leaderAvailable ? this.cluster.nodes(listenerName).find((n) => n.nodeId === p.advertisedLeader) : undefined;
    if (!node) return { ...none, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: 'The coordinator is not available.' };
    return { key: transactionalId, errorCode: ErrorCode.NONE, errorMessage: null, nodeId: node.nodeId, host: node.host, port: node.port };
  }

  initProducerId(input: InitProducerIdInput): Promise<InitProducerIdOutcome> {
    return this.route(input.transactionalId, (c) => c.initProducerId.bind(c), input, {
      moved: (r) => MOVED.has(r.errorCode),
      unavailable: (errorCode) => ({ errorCode, producerId: -1n, producerEpoch: -1 }),
      // A retried init may bump the epoch twice: the client's retry would do the same.
      idempotent: false,
    }).then((r) => ({ errorCode: r.errorCode, errorMessage: null, producerId: r.producerId, producerEpoch: r.producerEpoch }));
  }

  async addPartitionsToTxn(input: AddPartitionsToTxnInput): Promise<number[]> {
    const res = await this.route(input.transactionalId, (c) => c.addPartitionsToTxn.bind(c), input, {
      moved: (r) => r.results.length > 0 && r.results.every((p) => MOVED.has(p.errorCode)),
      unavailable: (errorCode) => ({ results: input.partitions.map((tp) => ({ ...tp, errorCode })) }),
      // Adding the same partitions twice leaves the same transaction.
      idempotent: true,
    });
    return input.partitions.map((_, i) => res.results[i]?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR);
  }

  async addOffsetsToTxn(input: TxnProducerInput & { groupId: string }): Promise<number> {
    // The coordinator places the group by the partitions of __consumer_offsets: a producer may
    // add offsets before any consumer looked its group up, so the topic is created here too.
    if (!this.cluster.topic(OFFSETS_TOPIC)) await this.createInternalTopic(OFFSETS_TOPIC);
    const res = await this.route(input.transactionalId, (c) => c.addOffsetsToTxn.bind(c), input, {
      moved: (r) => MOVED.has(r.errorCode),
      unavailable: (errorCode) => ({ errorCode }),
      idempotent: true,
    });
    return res.errorCode;
  }

  async endTxn(input: TxnProducerInput & { committed: boolean }): Promise<number> {
    const res = await this.route(input.transactionalId, (c) => c.endTxn.bind(c), input, {
      moved: (r) => MOVED.has(r.errorCode),
      unavailable: (errorCode) => ({ errorCode }),
      // A repeated EndTxn of a completed transaction answers NONE (Kafka's retry semantics).
      idempotent: true,
    });
    return res.errorCode;
  }

  describeTransactions(transactionalIds: string[]): Promise<DescribedTransactionOutcome[]> {
    return Promise.all(transactionalIds.map(async (transactionalId) => {
      const res = await this.route(transactionalId, (c) => c.describeTransactions.bind(c), { transactionalIds: [transactionalId] }, {
        moved: (r) => MOVED.has(r.transactionStates[0]?.errorCode ?? 0),
        unavailable: (errorCode) => ({
          transactionStates: [{
            errorCode, transactionalId, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1n, producerId: -1n, producerEpoch: -1, topics: [],
          }],
        }),
        idempotent: true,
      });
      return res.transactionStates[0];
    }));
  }

  async listTransactions(filter: ListTransactionsFilter): Promise<{ errorCode: number; transactions: ListedTransactionOutcome[] }> {
    const answers = await Promise.all(this.view.brokers().map(async (b) => {
      const client = this.client(b.id);
      if (!client) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, transactions: [] };
      try {
        return await unary(client.listTransactions.bind(client), filter, { timeoutMs: CALL_TIMEOUT_MS });
      } catch {
        return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, transactions: [] };
      }
    }));
    return {
      errorCode: answers.find((a) => a.errorCode !== ErrorCode.NONE)?.errorCode ?? ErrorCode.NONE,
      transactions: answers.flatMap((a) => a.transactions),
    };
  }

  /** Creates an internal topic once (concurrent callers share the attempt), as Kafka does lazily. */
  private createInternalTopic(name: string): Promise<void> {
    let creating = this.creating.get(name);
    if (!creating) {
      creating = (async () => {
        try {
          await this.controller.createTopics([{ name, numPartitions: -1, replicationFactor: -1, assignments: [], configs: {} }], false, 10_000);
          await this.cluster.awaitTopics([name], true, 5_000);
        } catch {
          // The caller answers COORDINATOR_NOT_AVAILABLE; the client asks again.
        } finally {
          this.creating.delete(name);
        }
      })();
      this.creating.set(name, creating);
    }
    return creating;
  }

  private leaderFor(transactionalId: string): number {
    const topic = this.cluster.topic(TRANSACTION_STATE_TOPIC);
    if (!topic || topic.partitions.length === 0) return -1;
    return topic.partitions[groupPartition(transactionalId, topic.partitions.length)].storageLeader;
  }

  private async route<Req, Res>(
    transactionalId: string,
    method: (c: TransactionCoordinatorServiceClient) => Method<Req, Res>,
    req: Req,
    how: { moved: (res: Res) => boolean; unavailable: (errorCode: number) => Res; idempotent: boolean },
  ): Promise<Res> {
    // Without __transaction_state there is no coordinator: the client looks it up again
    // (FindCoordinator creates the topic).
    if (!this.cluster.topic(TRANSACTION_STATE_TOPIC)) return how.unavailable(ErrorCode.NOT_COORDINATOR);
    const deadline = Date.now() + MAX_ROUTE_WAIT_MS;
    let last: Res | undefined;
    for (;;) {
      const leader = this.leaderFor(transactionalId);
      const client = leader >= 0 ? this.client(leader) : undefined;
      if (client) {
        try {
          const res = await unary(method(client), req, { timeoutMs: CALL_TIMEOUT_MS });
          if (!how.moved(res)) return res;
          last = res;
        } catch {
          if (!how.idempotent) return how.unavailable(ErrorCode.COORDINATOR_NOT_AVAILABLE);
        }
      }
      if (Date.now() + RETRY_PAUSE_MS > deadline) return last ?? how.unavailable(ErrorCode.NOT_COORDINATOR);
      await sleep(RETRY_PAUSE_MS);
    }
  }

  private client(brokerId: number): TransactionCoordinatorServiceClient | undefined {
    const b = this.view.broker(brokerId);
    if (!b) return undefined;
    const address = `${b.host}:${b.port}`;
    const existing = this.clients.get(brokerId);
    if (existing?.address === address) return existing.client;
    existing?.client.close();
    const client = createClient(TransactionCoordinatorServiceClient, address);
    this.clients.set(brokerId, { address, client });
    return client;
  }
}
