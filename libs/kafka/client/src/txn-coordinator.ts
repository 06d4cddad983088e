import { ErrorCode, KafkaError } from '@dms/kafka-errors';
import { ApiKey } from '@dms/kafka-schema';
import type { KafkaClient } from './client';
import type { KafkaConnection } from './connection';

export interface CoordinatorOptions {
  /** How long one coordinator call may take, retries included (Kafka's max.block.ms). */
  maxBlockMs: number;
  requestTimeoutMs: number;
  retryBackoffMs: number;
}

/** The coordinator moved or is not ready: find it again, then retry. */
const FIND_AGAIN = new Set<number>([ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.NETWORK_EXCEPTION, ErrorCode.REQUEST_TIMED_OUT]);
/** The previous transaction is still completing: retry soon at the same coordinator (the Java client waits 20 ms). */
const RETRY_SOON = new Set<number>([ErrorCode.CONCURRENT_TRANSACTIONS]);
const CONCURRENT_BACKOFF_MS = 20;

const codeOf = (err: unknown): number => (err instanceof KafkaError ? err.code : ErrorCode.NETWORK_EXCEPTION);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The transaction coordinator of one transactional id: found with FindCoordinator (key type 1,
 * TRANSACTION) and cached until it answers NOT_COORDINATOR, COORDINATOR_LOAD_IN_PROGRESS or the
 * connection fails. `call` sends one request there with Kafka's retries; other errors are thrown.
 */
export class TransactionCoordinator {
  private connection: Promise<KafkaConnection> | undefined;

  constructor(private readonly client: KafkaClient, readonly transactionalId: string, private readonly opts: CoordinatorOptions) {}

  /**
   * Sends `body` under `apiKey` to the coordinator; `errorOf` reads the error code of an answer.
   * Retries while the deadline allows; the last error is thrown after it.
   */
  async call<Res>(apiKey: number, body: object, errorOf: (res: Res) => number): Promise<Res> {
    const deadline = Date.now() + this.opts.maxBlockMs;
    for (let attempt = 0; ; attempt++) {
      let code: number;
      let failure: unknown;
      try {
        const conn = await this.coordinator();
        const res = await conn.request<Res>(apiKey, body, { timeoutMs: this.opts.requestTimeoutMs });
        code = errorOf(res);
        if (code === ErrorCode.NONE) return res;
        failure = new KafkaError(code);
      } catch (err) {
        code = codeOf(err);
        failure = err;
      }
      const again = FIND_AGAIN.has(code);
      if (!(again || RETRY_SOON.has(code)) || Date.now() > deadline) throw failure;
      if (again) this.connection = undefined;
      await sleep(again ? this.opts.retryBackoffMs * Math.min(attempt + 1, 5) : CONCURRENT_BACKOFF_MS);
    }
  }

  private coordinator(): Promise<KafkaConnection> {
    if (!this.connection) {
      this.connection = this.find();
      this.connection.catch(() => { this.connection = undefined; });
    }
    return this.connection.then((c) => {
      if (!c.closed) return c;
      this.connection = undefined;
      return this.coordinator();
    });
  }

  private async find(): Promise<KafkaConnection> {
    const conn = await this.client.anyBrokerConnection();
    const res = await conn.request<any>(ApiKey.FindCoordinator, { key: this.transactionalId, keyType: 1, coordinatorKeys: [this.transactionalId] },
      { timeoutMs: this.opts.requestTimeoutMs });
    const c = res.coordinators ? res.coordinators[0] : res;
    if (c.errorCode !== ErrorCode.NONE) throw new KafkaError(c.errorCode, c.errorMessage ?? `FindCoordinator for transactional id '${this.transactionalId}'`);
    return this.client.connectionToBroker(c.host, c.port);
  }
}

