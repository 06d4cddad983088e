import type { ClusterView } from '@dms/cluster';
import { ErrorCode } from '@dms/kafka-errors';
import { OFFSETS_TOPIC, SHARE_STATE_TOPIC, groupPartition, type DescribedShareGroup, type ShareHeartbeatInput, type ShareHeartbeatResult } from '@dms/groups';
import type {
  ClusterPort,
  ControllerPort,
  ShareAcknowledgeInput,
  ShareFetchInput,
  ShareFetchOutcome,
  ShareOffsetOutcome,
  SharePartitionOutcome,
  SharePartitionRef,
  SharePort,
} from '@dms/kafka-handlers';
import type { Logger } from '@dms/platform';
import {
  ShareGroupServiceClient,
  SharePartitionServiceClient,
  ShareStateServiceClient,
  createClient,
  unary,
  type shareV1,
} from '@dms/rpc';
import { callFailureCode } from './group-port';
import { partitionKey, ShareSessions, type ShareSession } from './share-sessions';

const MOVED = new Set<number>([ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS]);
const RETRY_PAUSE_MS = 100;
const MAX_ROUTE_WAIT_MS = 8_000;
const CALL_TIMEOUT_MS = 30_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Closable = { close(): void };

/** One gRPC client of a kind per live broker, replaced when the broker re-registers elsewhere. */
class PerBroker<C extends Closable> {
  private readonly clients = new Map<number, { address: string; client: C }>();
  constructor(private readonly view: ClusterView, private readonly make: (address: string) => C) {}

  of(brokerId: number): C | undefined {
    const b = this.view.broker(brokerId);
    if (!b) return undefined;
    const address = `${b.host}:${b.port}`;
    const existing = this.clients.get(brokerId);
    if (existing?.address === address) return existing.client;
    existing?.client.close();
    const client = this.make(address);
    this.clients.set(brokerId, { address, client });
    return client;
  }

  close(): void {
    for (const c of this.clients.values()) c.client.close();
    this.clients.clear();
  }
}

const emptyOutcome = (p: SharePartitionRef, errorCode: number, errorMessage: string | null = null): SharePartitionOutcome => ({
  ...p, errorCode, errorMessage, acknowledgeErrorCode: ErrorCode.NONE, acknowledgeErrorMessage: null, leaderEpoch: -1, records: Buffer.alloc(0), acquiredRecords: [],
});

/**
 * SharePort over gRPC: membership at the group's coordinator (the leader of its partition of
 * __consumer_offsets), share sessions here, share fetches and acknowledgements at each partition's
 * storage leader, and the share-group offsets at the share coordinators.
 */
export class GatewaySharePort implements SharePort {
  private readonly groupClients: PerBroker<ShareGroupServiceClient>;
  private readonly partitionClients: PerBroker<SharePartitionServiceClient>;
  private readonly stateClients: PerBroker<ShareStateServiceClient>;
  readonly sessions: ShareSessions;
  private creating: Promise<void> | undefined;

  constructor(
    private readonly view: ClusterView,
    private readonly cluster: ClusterPort,
    private readonly controller: ControllerPort,
    private readonly logger?: Logger,
    sessionOpts: { maxSessions?: number; idleMs?: number } = {},
  ) {
    this.groupClients = new PerBroker(view, (a) => createClient(ShareGroupServiceClient, a));
    this.partitionClients = new PerBroker(view, (a) => createClient(SharePartitionServiceClient, a));
    this.stateClients = new PerBroker(view, (a) => createClient(ShareStateServiceClient, a));
    // Kafka's group.share.max.share.sessions (2000); a session unused for two lock durations is gone.
    this.sessions = new ShareSessions({ maxSessions: sessionOpts.maxSessions ?? 2000, idleMs: sessionOpts.idleMs ?? 120_000 });
  }

  close(): void {
    this.groupClients.close();
    this.partitionClients.close();
    this.stateClients.close();
  }

  // ---- membership -------------------------------------------------------------------------

  async heartbeat(input: ShareHeartbeatInput): Promise<ShareHeartbeatResult> {
    // The share coordinator's topic is created with the first share group, as Kafka does.
    if (!this.cluster.topic(SHARE_STATE_TOPIC)) await this.createStateTopic();
    const unavailable = (errorCode: number): ShareHeartbeatResult => ({ errorCode, errorMessage: null, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null });
    return this.routeToCoordinator(input.groupId, async (c) => {
      const r = await unary<shareV1.ShareGroupHeartbeatRequest, shareV1.ShareGroupHeartbeatResponse>(c.shareGroupHeartbeat.bind(c), {
        groupId: input.groupId,
        memberId: input.memberId,
        memberEpoch: input.memberEpoch,
        ...(input.rackId !== null ? { rackId: input.rackId } : {}),
        hasSubscribedTopicNames: input.subscribedTopicNames !== null,
        subscribedTopicNames: input.subscribedTopicNames ?? [],
        clientId: input.clientId,
        clientHost: input.clientHost,
      }, { timeoutMs: CALL_TIMEOUT_MS });
      return {
        errorCode: r.errorCode,
        errorMessage: r.errorMessage ?? null,
        memberId: r.memberId ?? null,
        memberEpoch: r.memberEpoch,
        heartbeatIntervalMs: r.heartbeatIntervalMs,
        assignment: r.hasAssignment ? r.assignment : null,
      };
    }, (r) => r.errorCode, unavailable, true);
  }

  describe(groupIds: string[]): Promise<DescribedShareGroup[]> {
    return Promise.all(groupIds.map(async (groupId) => {
      const unavailable = (errorCode: number): DescribedShareGroup => ({
        errorCode, errorMessage: null, groupId, groupState: '', groupEpoch: 0, assignmentEpoch: 0, assignorName: '', members: [],
      });
      const res = await this.routeToCoordinator(groupId, async (c) => {
        const r = await unary<shareV1.ShareGroupDescribeRequest, shareV1.ShareGroupDescribeResponse>(c.shareGroupDescribe.bind(c), { groupIds: [groupId] }, { timeoutMs: CALL_TIMEOUT_MS });
        const g = r.groups[0];
        if (!g) return unavailable(ErrorCode.UNKNOWN_SERVER_ERROR);
        return { ...g, errorMessage: g.errorMessage ?? null, members: g.members.map((m) => ({ ...m, rackId: m.rackId ?? null })) };
      }, (r) => r.errorCode, unavailable, true);
      return res;
    }));
  }

  // ---- share fetch and acknowledge --------------------------------------------------------

  async fetch(input: ShareFetchInput): Promise<ShareFetchOutcome> {
    const adv = this.sessions.advance(input.groupId, input.memberId, input.shareSessionEpoch);
    const lockMs = 0;
    if (adv.errorCode !== ErrorCode.NONE || !adv.session) return { errorCode: adv.errorCode, errorMessage: adv.errorMessage, acquisitionLockTimeoutMs: lockMs, partitions: [] };
    const session = adv.session;
    if (adv.replaced) await this.releaseAll(adv.replaced, [...adv.replaced.partitions.values()]);
    if (input.shareSessionEpoch === -1) {
      // The final request: acknowledgements only, then the session and its locks end.
      const acked = await this.ackAt(session, input.partitions, true);
      this.sessions.close(input.groupId, input.memberId);
      await this.releaseAll(session, [...session.partitions.values()].filter((p) => !input.partitions.some((q) => partitionKey(q) === partitionKey(p))));
      return acked;
    }
    for (const p of input.partitions) session.partitions.set(partitionKey(p), { topic: p.topic, topicId: p.topicId, partition: p.partition });
    const forgotten = input.forgotten.filter((p) => session.partitions.delete(partitionKey(p)));
    if (forgotten.length > 0) await this.releaseAll(session, forgotten);

    const acks = new Map(input.partitions.map((p) => [partitionKey(p), p.acknowledgements]));
    const byLeader = new Map<number, SharePartitionRef[]>();
    const out: SharePartitionOutcome[] = [];
    for (const p of session.partitions.values()) {
      const leader = this.cluster.topic(p.topic)?.partitions[p.partition]?.storageLeader ?? -1;
      if (leader < 0) {
        out.push(emptyOutcome(p, ErrorCode.LEADER_NOT_AVAILABLE));
        continue;
      }
      const list = byLeader.get(leader) ?? [];
      list.push(p);
      byLeader.set(leader, list);
    }
    let acquisitionLockTimeoutMs = lockMs;
    const answers = await Promise.all([...byLeader].map(async ([broker, parts]) => {
      const client = this.partitionClients.of(broker);
      if (!client) return parts.map((p) => emptyOutcome(p, ErrorCode.NOT_LEADER_OR_FOLLOWER));
      try {
        const res = await unary<shareV1.ShareFetchRequest, shareV1.ShareFetchResponse>(client.shareFetch.bind(client), {
          groupId: input.groupId,
          memberId: input.memberId,
          maxWaitMs: input.maxWaitMs,
          maxBytes: input.maxBytes,
          maxRecords: input.maxRecords,
          acquireMode: input.acquireMode,
          partitions: parts.map((p) => ({ ...p, acknowledgements: acks.get(partitionKey(p)) ?? [], fetch: input.maxRecords > 0 })),
        }, { timeoutMs: input.maxWaitMs + CALL_TIMEOUT_MS });
        acquisitionLockTimeoutMs = Math.max(acquisitionLockTimeoutMs, res.acquisitionLockTimeoutMs);
        return res.partitions.map((r, i) => this.outcome(parts[i]!, r));
      } catch (err) {
        this.logger?.warn({ err, broker }, 'share fetch at a partition leader failed');
        return parts.map((p) => emptyOutcome(p, callFailureCode(err) === ErrorCode.UNKNOWN_SERVER_ERROR ? ErrorCode.UNKNOWN_SERVER_ERROR : ErrorCode.NOT_LEADER_OR_FOLLOWER));
      }
    }));
    for (const a of answers) out.push(...a);
    // A partition answers when it carries something: records, an error, an acknowledgement result, or it was named.
    const named = new Set(input.partitions.map(partitionKey));
    const partitions = out.filter((o) => o.acquiredRecords.length > 0 || o.errorCode !== ErrorCode.NONE || o.acknowledgeErrorCode !== ErrorCode.NONE || named.has(partitionKey(o)));
    return { errorCode: ErrorCode.NONE, errorMessage: null, acquisitionLockTimeoutMs, partitions };
  }

  async acknowledge(input: ShareAcknowledgeInput): Promise<ShareFetchOutcome> {
    const adv = this.sessions.advance(input.groupId, input.memberId, input.shareSessionEpoch);
    if (adv.errorCode !== ErrorCode.NONE || !adv.session) return { errorCode: adv.errorCode, errorMessage: adv.errorMessage, acquisitionLockTimeoutMs: 0, partitions: [] };
    const session = adv.session;
    const closing = input.shareSessionEpoch === -1;
    const res = await this.ackAt(session, input.partitions, closing);
    if (closing) {
      this.sessions.close(input.groupId, input.memberId);
      await this.releaseAll(session, [...session.partitions.values()].filter((p) => !input.partitions.some((q) => partitionKey(q) === partitionKey(p))));
    }
    return res;
  }

  /** Acknowledgements at each partition's leader (and the release of what remains, when closing). */
  private async ackAt(session: ShareSession, parts: ShareAcknowledgeInput['partitions'], releaseAll: boolean): Promise<ShareFetchOutcome> {
    let acquisitionLockTimeoutMs = 0;
    const byLeader = new Map<number, ShareAcknowledgeInput['partitions']>();
    const out: SharePartitionOutcome[] = [];
    for (const p of parts) {
      const leader = this.cluster.topic(p.topic)?.partitions[p.partition]?.storageLeader ?? -1;
      if (leader < 0) {
        out.push(emptyOutcome(p, ErrorCode.LEADER_NOT_AVAILABLE));
        continue;
      }
      const list = byLeader.get(leader) ?? [];
      list.push(p);
      byLeader.set(leader, list);
    }
    const answers = await Promise.all([...byLeader].map(async ([broker, list]) => {
      const client = this.partitionClients.of(broker);
      if (!client) return list.map((p) => emptyOutcome(p, ErrorCode.NOT_LEADER_OR_FOLLOWER));
      try {
        const res = await unary<shareV1.ShareAcknowledgeRequest, shareV1.ShareAcknowledgeResponse>(client.shareAcknowledge.bind(client), {
          groupId: session.groupId,
          memberId: session.memberId,
          partitions: list.map((p) => ({ topic: p.topic, topicId: p.topicId, partition: p.partition, acknowledgements: p.acknowledgements, fetch: false })),
          releaseAll,
        }, { timeoutMs: CALL_TIMEOUT_MS });
        acquisitionLockTimeoutMs = Math.max(acquisitionLockTimeoutMs, res.acquisitionLockTimeoutMs);
        return res.partitions.map((r, i) => this.outcome(list[i]!, r));
      } catch (err) {
        this.logger?.warn({ err, broker }, 'share acknowledge at a partition leader failed');
        return list.map((p) => ({ ...emptyOutcome(p, ErrorCode.NONE), acknowledgeErrorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER }));
      }
    }));
    for (const a of answers) out.push(...a);
    return { errorCode: ErrorCode.NONE, errorMessage: null, acquisitionLockTimeoutMs, partitions: out };
  }

  /** Frees what a member holds on partitions its session no longer has (best effort: locks expire anyway). */
  private async releaseAll(session: ShareSession, parts: SharePartitionRef[]): Promise<void> {
    if (parts.length === 0) return;
    await this.ackAt(session, parts.map((p) => ({ ...p, acknowledgements: [] })), true).catch((err: unknown) => {
      this.logger?.warn({ err, group: session.groupId }, 'releasing a closed share session failed');
    });
  }

  private outcome(p: SharePartitionRef, r: shareV1.SharePartitionData): SharePartitionOutcome {
    return {
      ...p,
      errorCode: r.errorCode,
      errorMessage: r.errorMessage || null,
      acknowledgeErrorCode: r.acknowledgeErrorCode,
      acknowledgeErrorMessage: r.acknowledgeErrorMessage || null,
      leaderEpoch: r.leaderEpoch,
      records: r.records,
      acquiredRecords: r.acquiredRecords.map((a) => ({ firstOffset: a.firstOffset, lastOffset: a.lastOffset, deliveryCount: a.deliveryCount })),
    };
  }

  // ---- offsets -----------------------------------------------------------------------------

  async describeOffsets(groupId: string, partitions: SharePartitionRef[] | null): Promise<{ errorCode: number; errorMessage: string | null; partitions: ShareOffsetOutcome[] }> {
    const brokers = this.view.brokers();
    let errorCode: number = ErrorCode.NONE;
    const found = new Map<string, { startOffset: bigint }>();
    await Promise.all(brokers.map(async (b) => {
      const client = this.stateClients.of(b.id);
      if (!client) return;
      try {
        const res = await unary<shareV1.ReadShareGroupOffsetsRequest, shareV1.ReadShareGroupOffsetsResponse>(client.readShareGroupOffsets.bind(client), { groupId }, { timeoutMs: CALL_TIMEOUT_MS });
        for (const o of res.offsets) found.set(`${o.topicId}:${o.partition}`, { startOffset: o.startOffset });
      } catch (err) {
        this.logger?.warn({ err, broker: b.id }, 'reading share-group offsets failed');
        errorCode = ErrorCode.COORDINATOR_NOT_AVAILABLE;
      }
    }));
    const wanted = partitions ?? [...found.keys()].map((k) => {
      const [topicId, partition] = k.split(':') as [string, string];
      const t = this.cluster.topicById(topicId);
      return { topic: t?.name ?? '', topicId, partition: Number(partition) };
    }).filter((p) => p.topic !== '');
    return {
      errorCode,
      errorMessage: null,
      partitions: wanted.map((p) => ({
        ...p,
        startOffset: found.get(partitionKey(p))?.startOffset ?? -1n,
        leaderEpoch: this.cluster.topic(p.topic)?.partitions[p.partition]?.leaderEpoch ?? -1,
        lag: -1n,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
      })),
    };
  }

  async resetOffsets(groupId: string, partitions: (SharePartitionRef & { startOffset: bigint })[]) {
    if (!this.cluster.topic(SHARE_STATE_TOPIC) && partitions.some((p) => p.startOffset >= 0n)) await this.createStateTopic();
    const described = (await this.describe([groupId]))[0];
    if (described && described.errorCode === ErrorCode.NONE && described.members.length > 0) {
      const errorCode = ErrorCode.NON_EMPTY_GROUP;
      const errorMessage = 'The share group has members: its offsets can be changed only while it is empty.';
      return { errorCode, errorMessage, partitions: partitions.map((p) => ({ topic: p.topic, topicId: p.topicId, partition: p.partition, errorCode, errorMessage })) };
    }
    const results = await Promise.all(partitions.map(async (p) => {
      const ref = { topic: p.topic, topicId: p.topicId, partition: p.partition };
      const leader = this.cluster.topic(p.topic)?.partitions[p.partition]?.storageLeader ?? -1;
      const client = leader >= 0 ? this.partitionClients.of(leader) : undefined;
      if (!client) return { ...ref, errorCode: ErrorCode.LEADER_NOT_AVAILABLE, errorMessage: null };
      try {
        const res = await unary<shareV1.ResetSharePartitionsRequest, shareV1.ResetSharePartitionsResponse>(client.resetSharePartitions.bind(client), {
          groupId, partitions: [{ ...ref, startOffset: p.startOffset }],
        }, { timeoutMs: CALL_TIMEOUT_MS });
        const r = res.results[0];
        return { ...ref, errorCode: r?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: r?.errorMessage || null };
      } catch (err) {
        this.logger?.warn({ err, broker: leader }, 'share offsets reset failed');
        return { ...ref, errorCode: callFailureCode(err), errorMessage: null };
      }
    }));
    return { errorCode: ErrorCode.NONE, errorMessage: null, partitions: results };
  }

  // ---- routing -----------------------------------------------------------------------------

  private async routeToCoordinator<R>(
    groupId: string,
    call: (c: ShareGroupServiceClient) => Promise<R>,
    codeOf: (r: R) => number,
    unavailable: (errorCode: number) => R,
    idempotent: boolean,
  ): Promise<R> {
    const deadline = Date.now() + MAX_ROUTE_WAIT_MS;
    let last: R | undefined;
    for (;;) {
      const topic = this.cluster.topic(OFFSETS_TOPIC);
      const leader = topic && topic.partitions.length > 0 ? topic.partitions[groupPartition(groupId, topic.partitions.length)]!.storageLeader : -1;
      const client = leader >= 0 ? this.groupClients.of(leader) : undefined;
      if (client) {
        try {
          const res = await call(client);
          if (!MOVED.has(codeOf(res))) return res;
          last = res;
        } catch (err) {
          this.logger?.warn({ err, groupId, broker: leader }, 'share group coordinator call failed');
          const code = callFailureCode(err);
          if (!idempotent || code !== ErrorCode.COORDINATOR_NOT_AVAILABLE) return unavailable(code);
        }
      }
      if (Date.now() + RETRY_PAUSE_MS > deadline) return last ?? unavailable(ErrorCode.COORDINATOR_NOT_AVAILABLE);
      await sleep(RETRY_PAUSE_MS);
    }
  }

  private createStateTopic(): Promise<void> {
    this.creating ??= (async () => {
      try {
        await this.controller.createTopics([{ name: SHARE_STATE_TOPIC, numPartitions: -1, replicationFactor: -1, assignments: [], configs: {} }], false, 10_000);
        await this.cluster.awaitTopics([SHARE_STATE_TOPIC], true, 5_000);
      } catch (err) {
        this.logger?.warn({ err }, `could not create ${SHARE_STATE_TOPIC}`);
      } finally {
        this.creating = undefined;
      }
    })();
    return this.creating;
  }
}
