import type { ClusterView } from '@dms/cluster';
import { ErrorCode } from '@dms/kafka-errors';
import { groupPartition, SHARE_STATE_TOPIC, shareCoordinatorKey, type SharePartitionKey, type StateBatch } from '@dms/groups';
import type { Logger } from '@dms/platform';
import { ShareStateServiceClient, createClient, unary, type shareV1 } from '@dms/rpc';

const MOVED = new Set<number>([ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.COORDINATOR_NOT_AVAILABLE]);
const CALL_TIMEOUT_MS = 15_000;
const ROUTE_WAIT_MS = 10_000;
const RETRY_PAUSE_MS = 100;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ReadStateAnswer {
  errorCode: number;
  errorMessage: string | null;
  stateEpoch: number;
  leaderEpoch: number;
  startOffset: bigint;
  stateBatches: StateBatch[];
}

/**
 * Kafka's persister, as a share-partition leader uses it: the state calls of one share partition
 * go to the broker leading its partition of __share_group_state (per this broker's view), and are
 * re-routed for a while when that partition moves or loads.
 */
export class ShareStateClient {
  private readonly clients = new Map<number, { address: string; client: ShareStateServiceClient }>();

  constructor(private readonly view: ClusterView, private readonly logger: Logger) {}

  close(): void {
    for (const c of this.clients.values()) c.client.close();
    this.clients.clear();
  }

  async read(key: SharePartitionKey, leaderEpoch: number): Promise<ReadStateAnswer> {
    const res = await this.route<shareV1.ReadShareStateRequest, shareV1.ReadShareStateResponse>(key, (c) => c.readShareState.bind(c), { key, leaderEpoch }, (errorCode) => ({
      errorCode, stateEpoch: 0, leaderEpoch: -1, startOffset: -1n, stateBatches: [],
    }));
    return {
      errorCode: res.errorCode,
      errorMessage: res.errorMessage ?? null,
      stateEpoch: res.stateEpoch,
      leaderEpoch: res.leaderEpoch,
      startOffset: res.startOffset,
      stateBatches: res.stateBatches.map((b) => ({ firstOffset: b.firstOffset, lastOffset: b.lastOffset, deliveryState: b.deliveryState as StateBatch['deliveryState'], deliveryCount: b.deliveryCount })),
    };
  }

  async initialize(key: SharePartitionKey, stateEpoch: number, startOffset: bigint): Promise<number> {
    return (await this.route(key, (c) => c.initializeShareState.bind(c), { key, stateEpoch, startOffset }, (errorCode) => ({ errorCode }))).errorCode;
  }

  async write(key: SharePartitionKey, leaderEpoch: number, stateEpoch: number, startOffset: bigint, stateBatches: StateBatch[]): Promise<number> {
    return (await this.route(key, (c) => c.writeShareState.bind(c), { key, leaderEpoch, stateEpoch, startOffset, stateBatches }, (errorCode) => ({ errorCode }))).errorCode;
  }

  async delete(key: SharePartitionKey): Promise<number> {
    return (await this.route(key, (c) => c.deleteShareState.bind(c), { key }, (errorCode) => ({ errorCode }))).errorCode;
  }

  private leaderFor(key: SharePartitionKey): number {
    const topic = this.view.topic(SHARE_STATE_TOPIC);
    if (!topic || topic.partitions <= 0) return -1;
    return this.view.partitions(SHARE_STATE_TOPIC).get(groupPartition(shareCoordinatorKey(key), topic.partitions))?.leader ?? -1;
  }

  private async route<Req, Res extends { errorCode: number }>(
    key: SharePartitionKey,
    method: (c: ShareStateServiceClient) => (req: Req, ...rest: any[]) => unknown,
    req: Req,
    unavailable: (errorCode: number) => Res,
  ): Promise<Res> {
    const deadline = Date.now() + ROUTE_WAIT_MS;
    let last: Res | undefined;
    for (;;) {
      const leader = this.leaderFor(key);
      const client = leader >= 0 ? this.client(leader) : undefined;
      if (client) {
        try {
          const res = await unary(method(client) as never, req, { timeoutMs: CALL_TIMEOUT_MS }) as Res;
          if (!MOVED.has(res.errorCode)) return res;
          last = res;
        } catch (err) {
          this.logger.warn({ err, broker: leader }, 'share state call failed');
          last = unavailable(ErrorCode.COORDINATOR_NOT_AVAILABLE);
        }
      }
      if (Date.now() + RETRY_PAUSE_MS > deadline) return last ?? unavailable(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      await sleep(RETRY_PAUSE_MS);
    }
  }

  private client(brokerId: number): ShareStateServiceClient | undefined {
    const b = this.view.broker(brokerId);
    if (!b) return undefined;
    const address = `${b.host}:${b.port}`;
    const existing = this.clients.get(brokerId);
    if (existing?.address === address) return existing.client;
    existing?.client.close();
    const client = createClient(ShareStateServiceClient, address);
    this.clients.set(brokerId, { address, client });
    return client;
  }
}

export type { shareV1 };
