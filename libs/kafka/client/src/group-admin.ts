import { decodeMessage } from '@dms/kafka-codec';
import { ErrorCode, KafkaError, isRetriable } from '@dms/kafka-errors';
import { ApiKey, consumerProtocolAssignmentDescriptor } from '@dms/kafka-schema';
import type { KafkaClient } from './client';
import type { KafkaConnection } from './connection';

export interface GroupListing {
  groupId: string;
  protocolType: string;
  state: string;
}

export interface GroupMemberDescription {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  /** Decoded when the group speaks the consumer protocol. */
  assignment: { topic: string; partitions: number[] }[];
}

export interface GroupDescription {
  groupId: string;
  errorCode: number;
  state: string;
  protocolType: string;
  protocol: string;
  members: GroupMemberDescription[];
}

export interface CommittedOffset {
  topic: string;
  partition: number;
  offset: bigint;
  metadata: string;
}

/** Answers meaning "ask again shortly": the coordinator is moving or loading. */
const COORDINATOR_RETRY = new Set<number>([
  ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, ErrorCode.NOT_COORDINATOR,
]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function decodeAssignment(buf: Buffer | null | undefined): { topic: string; partitions: number[] }[] {
  if (!buf || buf.length < 2) return [];
  try {
    const version = Math.min(buf.readInt16BE(0), 3);
    const a = decodeMessage(consumerProtocolAssignmentDescriptor, version, buf, 2);
    return (a.assignedPartitions as { topic: string; partitions: number[] }[]).map((t) => ({ topic: t.topic, partitions: [...t.partitions].sort((x, y) => x - y) }));
  } catch {
    return [];
  }
}

/** Consumer group administration over the Kafka protocol (what kafka-consumer-groups.sh uses). */
export class GroupAdmin {
  constructor(
    private readonly client: KafkaClient,
    private readonly opts: { retries?: number; retryBackoffMs?: number } = {},
  ) {}

  async listGroups(): Promise<GroupListing[]> {
    const conn = await this.client.anyBrokerConnection();
    const res = await conn.request<any>(ApiKey.ListGroups, { statesFilter: [] });
    if (res.errorCode !== ErrorCode.NONE) throw new KafkaError(res.errorCode);
    return (res.groups as any[]).map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, state: g.groupState ?? '' }));
  }

  /**
   * A classic group by DescribeGroups; a group that is none (Dead, no protocol) is asked again by
   * ConsumerGroupDescribe, as Kafka's admin client describes KIP-848 consumer groups.
   */
  async describeGroup(groupId: string): Promise<GroupDescription> {
    const classic = await this.describeClassicGroup(groupId);
    const unknown = classic.errorCode === ErrorCode.GROUP_ID_NOT_FOUND || (classic.state === 'Dead' && !classic.protocolType && classic.members.length === 0);
    if (!unknown) return classic;
    const modern = await this.describeConsumerGroup(groupId).catch(() => undefined);
    return modern && modern.errorCode === ErrorCode.NONE ? modern : classic;
  }

  /** ConsumerGroupDescribe (KIP-848) as a GroupDescription (protocol: the server assignor). */
  private async describeConsumerGroup(groupId: string): Promise<GroupDescription> {
    return this.atCoordinator(groupId, async (conn) => {
      const res = await conn.request<any>(ApiKey.ConsumerGroupDescribe, { groupIds: [groupId], includeAuthorizedOperations: false });
      const g = res.groups[0];
      return {
        groupId,
        errorCode: g.errorCode,
        state: g.groupState,
        protocolType: 'consumer',
        protocol: g.assignorName,
        members: (g.members as any[]).map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.instanceId ?? null,
          clientId: m.clientId,
          clientHost: m.clientHost,
          assignment: (m.assignment.topicPartitions as any[]).map((tp) => ({ topic: tp.topicName as string, partitions: [...(tp.partitions as number[])].sort((x, y) => x - y) })),
        })),
      };
    }, (d) => d.errorCode);
  }

  private async describeClassicGroup(groupId: string): Promise<GroupDescription> {
    return this.atCoordinator(groupId, async (conn) => {
      const res = await conn.request<any>(ApiKey.DescribeGroups, { groups: [groupId], includeAuthorizedOperations: false });
      const g = res.groups[0];
      return {
        groupId,
        errorCode: g.errorCode,
        state: g.groupState,
        protocolType: g.protocolType,
        protocol: g.protocolData,
        members: (g.members as any[]).map((m) => ({
          memberId: m.memberId,
          groupInstanceId: m.groupInstanceId ?? null,
          clientId: m.clientId,
          clientHost: m.clientHost,
          assignment: g.protocolType === 'consumer' ? decodeAssignment(m.memberAssignment) : [],
        })),
      };
    }, (d) => d.errorCode);
  }

  /** Every committed offset of the group. */
  async fetchOffsets(groupId: string): Promise<CommittedOffset[]> {
    return this.atCoordinator(groupId, async (conn) => {
      const res = await conn.request<any>(ApiKey.OffsetFetch, { groupId, topics: null, groups: [{ groupId, topics: null }], requireStable: false });
      const g = res.groups ? res.groups[0] : res;
      const out: CommittedOffset[] = [];
      for (const t of g.topics as any[]) {
        for (const p of t.partitions as any[]) {
          if (p.committedOffset >= 0n) out.push({ topic: t.name, partition: p.partitionIndex, offset: p.committedOffset, metadata: p.metadata ?? '' });
        }
      }
      return { errorCode: g.errorCode ?? ErrorCode.NONE, offsets: out };
    }, (r) => r.errorCode).then((r) => r.offsets);
  }

  /** Commits as an admin (generation -1, no member): the group must have no active members. */
  async commitOffsets(groupId: string, offsets: { topic: string; partition: number; offset: bigint; metadata?: string }[]): Promise<{ topic: string; partition: number; errorCode: number }[]> {
    const byTopic = new Map<string, { partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; committedMetadata: string }[]>();
    for (const o of offsets) {
      const list = byTopic.get(o.topic) ?? [];
      list.push({ partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: -1, committedMetadata: o.metadata ?? '' });
      byTopic.set(o.topic, list);
    }
    return this.atCoordinator(groupId, async (conn) => {
      const res = await conn.request<any>(ApiKey.OffsetCommit, {
        groupId, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1n,
        topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
      });
      const results = (res.topics as any[]).flatMap((t) => (t.partitions as any[]).map((p) => ({ topic: t.name as string, partition: p.partitionIndex as number, errorCode: p.errorCode as number })));
      return results;
    }, (r) => r.find((x) => COORDINATOR_RETRY.has(x.errorCode))?.errorCode ?? ErrorCode.NONE);
  }

  async deleteGroup(groupId: string): Promise<number> {
    return this.atCoordinator(groupId, async (conn) => {
      const res = await conn.request<any>(ApiKey.DeleteGroups, { groupsNames: [groupId] });
      return res.results[0].errorCode as number;
    }, (code) => code);
  }

  /** Runs `op` on the group's coordinator, finding it again while it moves. */
  private async atCoordinator<T>(groupId: string, op: (conn: KafkaConnection) => Promise<T>, errorOf: (r: T) => number): Promise<T> {
    const retries = this.opts.retries ?? 20;
    for (let attempt = 0; ; attempt++) {
      let code: number;
      let result: T | undefined;
      try {
        const conn = await this.coordinator(groupId);
        result = await op(conn);
        code = errorOf(result);
      } catch (err) {
        code = err instanceof KafkaError ? err.code : ErrorCode.NETWORK_EXCEPTION;
        if (!(COORDINATOR_RETRY.has(code) || isRetriable(code)) || attempt >= retries) throw err;
      }
      if (result !== undefined && !COORDINATOR_RETRY.has(code)) return result;
      if (attempt >= retries) {
        if (result !== undefined) return result;
        throw new KafkaError(code);
      }
      await sleep((this.opts.retryBackoffMs ?? 100) * Math.min(attempt + 1, 5));
    }
  }

  private coordinator(groupId: string): Promise<KafkaConnection> {
    return groupCoordinator(this.client, groupId);
  }
}

/** A connection to the group's coordinator (FindCoordinator, key type 0). */
export async function groupCoordinator(client: KafkaClient, groupId: string): Promise<KafkaConnection> {
  const conn = await client.anyBrokerConnection();
  const res = await conn.request<any>(ApiKey.FindCoordinator, { key: groupId, keyType: 0, coordinatorKeys: [groupId] });
  const c = res.coordinators ? res.coordinators[0] : res;
  if (c.errorCode !== ErrorCode.NONE) throw new KafkaError(c.errorCode, c.errorMessage ?? undefined);
  return client.connectionToBroker(c.host, c.port);
}
