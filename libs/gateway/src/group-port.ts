import { status as GrpcStatus, type Metadata, type CallOptions } from '@grpc/grpc-js';
import type { ClusterView } from '@dms/cluster';
import { ErrorCode } from '@dms/kafka-errors';
import type { ConsumerGroupDescribeResponseDescribedGroup } from '@dms/kafka-schema';
import {
  OFFSETS_TOPIC,
  describedFromRpc,
  groupPartition,
  heartbeatResultFromRpc,
  heartbeatToRpc,
  type ConsumerGroupHeartbeatInput,
  type ConsumerGroupHeartbeatResult,
  type DeleteGroupResult,
  type DescribedGroup,
  type HeartbeatInput,
  type HeartbeatResult,
  type JoinGroupInput,
  type JoinGroupResult,
  type LeaveGroupInput,
  type LeaveGroupResult,
  type ListGroupsResult,
  type OffsetCommitInput,
  type OffsetCommitResult,
  type OffsetDeleteInput,
  type OffsetDeleteResult,
  type OffsetFetchInput,
  type OffsetFetchResult,
  type SyncGroupInput,
  type SyncGroupResult,
  type TxnOffsetCommitInput,
  type TxnOffsetCommitResult,
} from '@dms/groups';
import type { ClusterPort, ControllerPort, CoordinatorAnswer, GroupPort } from '@dms/kafka-handlers';
import type { Logger } from '@dms/platform';
import { GroupCoordinatorServiceClient, createClient, unary } from '@dms/rpc';

/** Answers after which nothing changed at the coordinator, so the gateway may ask again. */
const MOVED = new Set<number>([ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS]);
const RETRY_PAUSE_MS = 100;
/** How long the gateway itself chases a moving coordinator before the client takes over. */
const MAX_ROUTE_WAIT_MS = 8_000;
const CALL_TIMEOUT_MS = 30_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The code a failed coordinator call answers: the coordinator itself failing (gRPC INTERNAL, an
 * unexpected error there) is UNKNOWN_SERVER_ERROR, as Kafka answers an unexpected exception; a
 * coordinator out of reach is COORDINATOR_NOT_AVAILABLE, which the client retries elsewhere.
 */
export function callFailureCode(err: unknown): number {
  const code = (err as { code?: unknown } | null)?.code;
  return code === GrpcStatus.INTERNAL ? ErrorCode.UNKNOWN_SERVER_ERROR : ErrorCode.COORDINATOR_NOT_AVAILABLE;
}

type Method<Req, Res> = (req: Req, metadata: Metadata, options: Partial<CallOptions>, cb: (err: Error | null, res: Res) => void) => unknown;

interface Route<Res> {
  /** The coordinator's answer says the group is not (yet) there. */
  moved: (res: Res) => boolean;
  /** The answer to give when no coordinator could be reached. */
  unavailable: (errorCode: number) => Res;
  /** Safe to resend after a transport failure (the first attempt may have been applied). */
  idempotent: boolean;
  timeoutMs?: number;
}

/**
 * GroupPort over gRPC: each group request goes to the storage broker leading the group's
 * partition of __consumer_offsets, per this gateway's cluster view; NOT_COORDINATOR and
 * COORDINATOR_LOAD_IN_PROGRESS (leadership moving, a partition loading) are retried here for a
 * while, so clients see at most one retriable error.
 */
export class GatewayGroupPort implements GroupPort {
  private readonly clients = new Map<number, { address: string; client: GroupCoordinatorServiceClient }>();
  private creating: Promise<void> | undefined;
  private readonly onChange = () => this.prune();

  constructor(
    private readonly view: ClusterView,
    private readonly cluster: ClusterPort,
    private readonly controller: ControllerPort,
    private readonly logger?: Logger,
  ) {
    view.on('change', this.onChange);
  }

  close(): void {
    this.view.off('change', this.onChange);
    for (const c of this.clients.values()) c.client.close();
    this.clients.clear();
  }

  async findCoordinator(groupId: string, listenerName?: string): Promise<CoordinatorAnswer> {
    const none = { key: groupId, nodeId: -1, host: '', port: -1 };
    if (!this.cluster.topic(OFFSETS_TOPIC)) await this.createOffsetsTopic();
    const topic = this.cluster.topic(OFFSETS_TOPIC);
    if (!topic || topic.partitions.length === 0) {
      return { ...none, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: 'The coordinator is not available.' };
    }
    const p = topic.partitions[groupPartition(groupId, topic.partitions.length)];
    const node = p.leaderAvailable ? this.cluster.nodes(listenerName).find((n) => n.nodeId === p.advertisedLeader) : undefined;
    if (!node) return { ...none, errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, errorMessage: 'The coordinator is not available.' };
    return { key: groupId, errorCode: ErrorCode.NONE, errorMessage: null, nodeId: node.nodeId, host: node.host, port: node.port };
  }

  joinGroup(input: JoinGroupInput): Promise<JoinGroupResult> {
    return this.route(input.groupId, (c) => c.joinGroup.bind(c), input, {
      moved: (r) => MOVED.has(r.errorCode),
      unavailable: (errorCode) => ({ errorCode, generationId: -1, leader: '', skipAssignment: false, memberId: input.memberId, members: [] }),
      idempotent: false,
      // The coordinator holds a join until the rebalance completes.
      timeoutMs: Math.max(input.rebalanceTimeoutMs, input.sessionTimeoutMs) + 10_000,
    });
  }

  syncGroup(input: SyncGroupInput): Promise<SyncGroupResult> {
    return this.route(input.groupId, (c) => c.syncGroup.bind(c), input, {
      moved: (r) => MOVED.has(r.errorCode),
      unavailable: (errorCode) => ({ errorCode, assignment: Buffer.alloc(0) }),
      idempotent: false,
      timeoutMs: 5 * 60_000,
    });
  }

  heartbeat(input: HeartbeatInput): Promise<HeartbeatResult> {
    return this.route(input.groupId, (c) => c.heartbeat.bind(c), input, {
      moved: (r) => MOVED.has(r.errorCode),
      unavailable: (errorCode) => ({ errorCode }),
      idempotent: true,
    });
  }

  leaveGroup(input: LeaveGroupInput): Promise<LeaveGroupResult> {
    return this.route(input.groupId, (c) => c.leaveGroup.bind(c), input, {
      moved: (r) => MOVED.has(r.errorCode),
      unavailable: (errorCode) => ({ errorCode, members: input.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode })) }),
      idempotent: false,
    });
  }

  offsetCommit(input: OffsetCommitInput): Promise<OffsetCommitResult> {
    const all = (errorCode: number): OffsetCommitResult => ({
      topics: input.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })),
    });
    return this.route(input.groupId, (c) => c.offsetCommit.bind(c), input, {
      moved: (r) => r.topics.length > 0 && r.topics.every((t) => t.partitions.every((p) => MOVED.has(p.errorCode))),
      unavailable: all,
      // Committing the same offsets twice leaves the same state.
      idempotent: true,
    });
  }

  txnOffsetCommit(input: TxnOffsetCommitInput): Promise<TxnOffsetCommitResult> {
    const all = (errorCode: number): TxnOffsetCommitResult => ({
      topics: input.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })),
    });
    return this.route(input.groupId, (c) => c.txnOffsetCommit.bind(c), input, {
      moved: (r) => r.topics.length > 0 && r.topics.every((t) => t.partitions.every((p) => MOVED.has(p.errorCode))),
      unavailable: all,
      // The same offsets of the same open transaction again: the later one replaces the first.
      idempotent: true,
    });
  }

  offsetFetch(input: OffsetFetchInput): Promise<OffsetFetchResult> {
    return this.route(input.groupId, (c) => c.offsetFetch.bind(c), { ...input, requireStable: input.requireStable ?? false }, {
      moved: (r) => MOVED.has(r.errorCode),
      unavailable: (errorCode) => ({ errorCode, topics: [] }),
      idempotent: true,
    });
  }

  offsetDelete(input: OffsetDeleteInput): Promise<OffsetDeleteResult> {
    return this.route(input.groupId, (c) => c.offsetDelete.bind(c), input, {
      moved: (r) => MOVED.has(r.errorCode),
      unavailable: (errorCode) => ({ errorCode, topics: [] }),
      idempotent: true,
    });
  }

  describeGroups(groupIds: string[]): Promise<DescribedGroup[]> {
    return Promise.all(groupIds.map(async (groupId) => {
      const res = await this.route(groupId, (c) => c.describeGroups.bind(c), { groupIds: [groupId] }, {
        moved: (r) => MOVED.has(r.groups[0]?.errorCode ?? 0),
        unavailable: (errorCode) => ({ groups: [{ errorCode, groupId, groupState: '', protocolType: '', protocolData: '', members: [] }] }),
        idempotent: true,
      });
      return res.groups[0];
    }));
  }

  deleteGroups(groupIds: string[]): Promise<DeleteGroupResult[]> {
    return Promise.all(groupIds.map(async (groupId) => {
      const res = await this.route(groupId, (c) => c.deleteGroups.bind(c), { groupIds: [groupId] }, {
        moved: (r) => MOVED.has(r.results[0]?.errorCode ?? 0),
        unavailable: (errorCode) => ({ results: [{ groupId, errorCode }] }),
        idempotent: false,
      });
      return res.results[0];
    }));
  }

  async consumerGroupHeartbeat(input: ConsumerGroupHeartbeatInput): Promise<ConsumerGroupHeartbeatResult> {
    const res = await this.route(input.groupId, (c) => c.consumerGroupHeartbeat.bind(c), heartbeatToRpc(input), {
      moved: (r) => MOVED.has(r.errorCode),
      unavailable: (errorCode) => ({ errorCode, memberEpoch: -1, heartbeatIntervalMs: 0 }),
      // A heartbeat that may have been applied must not be replayed blindly (a join would bump the epoch twice);
      // the client heartbeats again with what it knows.
      idempotent: false,
    });
    return heartbeatResultFromRpc(res);
  }

  consumerGroupDescribe(groupIds: string[]): Promise<ConsumerGroupDescribeResponseDescribedGroup[]> {
    return Promise.all(groupIds.map(async (groupId) => {
      const res = await this.route(groupId, (c) => c.consumerGroupDescribe.bind(c), { groupIds: [groupId] }, {
        moved: (r) => MOVED.has(r.groups[0]?.errorCode ?? 0),
        unavailable: (errorCode) => ({
          groups: [{ errorCode, groupId, groupState: '', groupEpoch: -1, assignmentEpoch: -1, assignorName: '', members: [] }],
        }),
        idempotent: true,
      });
      return describedFromRpc(res.groups[0]);
    }));
  }

  async listGroups(statesFilter: string[]): Promise<ListGroupsResult> {
    const brokers = this.view.brokers();
    const answers = await Promise.all(brokers.map(async (b) => {
      const client = this.client(b.id);
      if (!client) return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, groups: [] };
      try {
        return await unary(client.listGroups.bind(client), { statesFilter }, { timeoutMs: CALL_TIMEOUT_MS });
      } catch (err) {
        this.logger?.warn({ err, broker: b.id }, 'ListGroups at a group coordinator failed');
        return { errorCode: callFailureCode(err), groups: [] };
      }
    }));
    return {
      errorCode: answers.find((a) => a.errorCode !== ErrorCode.NONE)?.errorCode ?? ErrorCode.NONE,
      groups: answers.flatMap((a) => a.groups),
    };
  }

  /** Creates __consumer_offsets once (concurrent lookups share the attempt), as Kafka does lazily. */
  private createOffsetsTopic(): Promise<void> {
    this.creating ??= (async () => {
      try {
        await this.controller.createTopics(
          [{ name: OFFSETS_TOPIC, numPartitions: -1, replicationFactor: -1, assignments: [], configs: {} }],
          false,
          10_000,
        );
        await this.cluster.awaitTopics([OFFSETS_TOPIC], true, 5_000);
      } catch (err) {
        // The caller answers COORDINATOR_NOT_AVAILABLE; the client asks again.
        this.logger?.warn({ err }, `could not create ${OFFSETS_TOPIC}`);
      } finally {
        this.creating = undefined;
      }
    })();
    return this.creating;
  }

  private leaderFor(groupId: string): number {
    const topic = this.cluster.topic(OFFSETS_TOPIC);
    if (!topic || topic.partitions.length === 0) return -1;
    return topic.partitions[groupPartition(groupId, topic.partitions.length)].storageLeader;
  }

  private async route<Req, Res>(
    groupId: string,
    method: (c: GroupCoordinatorServiceClient) => Method<Req, Res>,
    req: Req,
    how: Route<Res>,
  ): Promise<Res> {
    const deadline = Date.now() + MAX_ROUTE_WAIT_MS;
    let last: Res | undefined;
    for (;;) {
      const leader = this.leaderFor(groupId);
      const client = leader >= 0 ? this.client(leader) : undefined;
      if (client) {
        try {
          const res = await unary(method(client), req, { timeoutMs: how.timeoutMs ?? CALL_TIMEOUT_MS });
          if (!how.moved(res)) return res;
          last = res;
        } catch (err) {
          this.logger?.warn({ err, groupId, broker: leader }, 'group coordinator call failed');
          const code = callFailureCode(err);
          if (!how.idempotent || code !== ErrorCode.COORDINATOR_NOT_AVAILABLE) return how.unavailable(code);
        }
      }
      if (Date.now() + RETRY_PAUSE_MS > deadline) return last ?? how.unavailable(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      await sleep(RETRY_PAUSE_MS);
    }
  }

  private client(brokerId: number): GroupCoordinatorServiceClient | undefined {
    const b = this.view.broker(brokerId);
    if (!b) return undefined;
    const address = `${b.host}:${b.port}`;
    const existing = this.clients.get(brokerId);
    if (existing?.address === address) return existing.client;
    existing?.client.close();
    const client = createClient(GroupCoordinatorServiceClient, address);
    this.clients.set(brokerId, { address, client });
    return client;
  }

  private prune(): void {
    for (const [id, c] of this.clients) {
      const b = this.view.broker(id);
      if (!b || `${b.host}:${b.port}` !== c.address) {
        c.client.close();
        this.clients.delete(id);
      }
    }
  }
}
