import { ErrorCode, KafkaError } from '@dms/kafka-errors';
import { ApiKey } from '@dms/kafka-schema';
import type { KafkaClient } from './client';

export interface ShareGroupListing {
  groupId: string;
  state: string;
}

export interface ShareMemberDescription {
  memberId: string;
  memberEpoch: number;
  clientId: string;
  clientHost: string;
  rackId: string | null;
  subscribedTopicNames: string[];
  assignment: { topic: string; partitions: number[] }[];
}

export interface ShareGroupDescription {
  groupId: string;
  errorCode: number;
  errorMessage: string | null;
  state: string;
  groupEpoch: number;
  assignmentEpoch: number;
  assignor: string;
  members: ShareMemberDescription[];
}

export interface ShareGroupOffset {
  topic: string;
  partition: number;
  /** -1: the group has no state for the partition. */
  startOffset: bigint;
  leaderEpoch: number;
  /** -1 when unknown. */
  lag: bigint;
  errorCode: number;
}

/** Share-group administration over the Kafka protocol (what kafka-share-groups.sh uses). */
export class ShareGroupAdmin {
  constructor(private readonly client: KafkaClient) {}

  async listGroups(): Promise<ShareGroupListing[]> {
    const conn = await this.client.anyBrokerConnection();
    const res = await conn.request<any>(ApiKey.ListGroups, { statesFilter: [], typesFilter: ['share'] }, { version: 5 });
    if (res.errorCode !== ErrorCode.NONE) throw new KafkaError(res.errorCode);
    return (res.groups as any[]).filter((g) => g.groupType === 'share').map((g) => ({ groupId: g.groupId, state: g.groupState }));
  }

  async describeGroup(groupId: string): Promise<ShareGroupDescription> {
    const conn = await this.client.anyBrokerConnection();
    const res = await conn.request<any>(ApiKey.ShareGroupDescribe, { groupIds: [groupId], includeAuthorizedOperations: false });
    const g = res.groups[0];
    const names = await this.topicNames();
    return {
      groupId,
      errorCode: g.errorCode,
      errorMessage: g.errorMessage ?? null,
      state: g.groupState,
      groupEpoch: g.groupEpoch,
      assignmentEpoch: g.assignmentEpoch,
      assignor: g.assignorName,
      members: (g.members as any[]).map((m) => ({
        memberId: m.memberId,
        memberEpoch: m.memberEpoch,
        clientId: m.clientId,
        clientHost: m.clientHost,
        rackId: m.rackId ?? null,
        subscribedTopicNames: m.subscribedTopicNames,
        assignment: (m.assignment.topicPartitions as any[]).map((t) => ({ topic: t.topicName || names.get(t.topicId) || t.topicId, partitions: [...t.partitions].sort((a: number, b: number) => a - b) })),
      })),
    };
  }

  /** The start offsets (and lag) of the group's share partitions; `topics` null: all it has. */
  async describeOffsets(groupId: string, topics: { topic: string; partitions: number[] }[] | null = null): Promise<{ errorCode: number; offsets: ShareGroupOffset[] }> {
    const conn = await this.client.anyBrokerConnection();
    const res = await conn.request<any>(ApiKey.DescribeShareGroupOffsets, {
      groups: [{ groupId, topics: topics === null ? null : topics.map((t) => ({ topicName: t.topic, partitions: t.partitions })) }],
    });
    const g = res.groups[0];
    const offsets: ShareGroupOffset[] = [];
    for (const t of g.topics as any[]) {
      for (const p of t.partitions as any[]) {
        offsets.push({ topic: t.topicName, partition: p.partitionIndex, startOffset: p.startOffset, leaderEpoch: p.leaderEpoch, lag: p.lag ?? -1n, errorCode: p.errorCode });
      }
    }
    offsets.sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition);
    return { errorCode: g.errorCode, offsets };
  }

  async alterOffsets(groupId: string, offsets: { topic: string; partition: number; startOffset: bigint }[]): Promise<{ errorCode: number; errorMessage: string | null; results: { topic: string; partition: number; errorCode: number }[] }> {
    const byTopic = new Map<string, { partitionIndex: number; startOffset: bigint }[]>();
    for (const o of offsets) byTopic.set(o.topic, [...(byTopic.get(o.topic) ?? []), { partitionIndex: o.partition, startOffset: o.startOffset }]);
    const conn = await this.client.anyBrokerConnection();
    const res = await conn.request<any>(ApiKey.AlterShareGroupOffsets, { groupId, topics: [...byTopic].map(([topicName, partitions]) => ({ topicName, partitions })) });
    const results = (res.responses as any[]).flatMap((t) => (t.partitions as any[]).map((p) => ({ topic: t.topicName as string, partition: p.partitionIndex as number, errorCode: p.errorCode as number })));
    return { errorCode: res.errorCode, errorMessage: res.errorMessage ?? null, results };
  }

  async deleteOffsets(groupId: string, topics: string[]): Promise<{ errorCode: number; errorMessage: string | null; results: { topic: string; errorCode: number }[] }> {
    const conn = await this.client.anyBrokerConnection();
    const res = await conn.request<any>(ApiKey.DeleteShareGroupOffsets, { groupId, topics: topics.map((topicName) => ({ topicName })) });
    return { errorCode: res.errorCode, errorMessage: res.errorMessage ?? null, results: (res.responses as any[]).map((t) => ({ topic: t.topicName, errorCode: t.errorCode })) };
  }

  private async topicNames(): Promise<Map<string, string>> {
    const md = await this.client.metadata();
    return new Map(md.topics.map((t) => [t.topicId, t.name]));
  }
}
