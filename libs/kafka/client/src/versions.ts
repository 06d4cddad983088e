import { ErrorCode, KafkaError } from '@dms/kafka-errors';
import { ApiKey } from '@dms/kafka-schema';

/**
 * The API versions this client implements, per key. Floors are where the fields we rely on
 * appear (magic-2 record batches need Produce 3 and Fetch 4; ListOffsets 1 answers one offset
 * per partition; Metadata 1 gives the nullable "all topics" list). Fetch stops at 12: from 13 on
 * topics travel by id only, and the CLI and bench address topics by name.
 */
export interface VersionSpan {
  min: number;
  max: number;
}

export const CLIENT_VERSIONS: Readonly<Record<number, VersionSpan>> = Object.freeze({
  [ApiKey.Produce]: { min: 3, max: 11 },
  [ApiKey.Fetch]: { min: 4, max: 12 },
  [ApiKey.ListOffsets]: { min: 1, max: 8 },
  [ApiKey.Metadata]: { min: 1, max: 12 },
  // v4: the supported features with minimum 0 are listed too (KAFKA-17011).
  [ApiKey.ApiVersions]: { min: 0, max: 4 },
  [ApiKey.UpdateFeatures]: { min: 0, max: 2 },
  [ApiKey.GetTelemetrySubscriptions]: { min: 0, max: 0 },
  [ApiKey.PushTelemetry]: { min: 0, max: 0 },
  // ListConfigResources (formerly ListClientMetricsResources): v0 lists client-metrics subscriptions.
  74: { min: 0, max: 0 },
  [ApiKey.CreateTopics]: { min: 2, max: 7 },
  [ApiKey.DeleteTopics]: { min: 1, max: 5 },
  [ApiKey.FindCoordinator]: { min: 1, max: 5 },
  [ApiKey.OffsetCommit]: { min: 2, max: 9 },
  [ApiKey.OffsetFetch]: { min: 2, max: 9 },
  [ApiKey.DescribeGroups]: { min: 0, max: 5 },
  [ApiKey.ListGroups]: { min: 0, max: 4 },
  [ApiKey.DeleteGroups]: { min: 0, max: 2 },
  [ApiKey.DescribeTransactions]: { min: 0, max: 0 },
  [ApiKey.ListTransactions]: { min: 0, max: 1 },
  [ApiKey.SaslHandshake]: { min: 1, max: 1 },
  [ApiKey.SaslAuthenticate]: { min: 0, max: 2 },
  [ApiKey.DescribeAcls]: { min: 1, max: 3 },
  [ApiKey.CreateAcls]: { min: 1, max: 3 },
  [ApiKey.DeleteAcls]: { min: 1, max: 3 },
  [ApiKey.DescribeUserScramCredentials]: { min: 0, max: 0 },
  [ApiKey.AlterUserScramCredentials]: { min: 0, max: 0 },
  [ApiKey.ElectLeaders]: { min: 0, max: 2 },
  [ApiKey.AlterPartitionReassignments]: { min: 0, max: 0 },
  [ApiKey.ListPartitionReassignments]: { min: 0, max: 0 },
  [ApiKey.DescribeConfigs]: { min: 1, max: 4 },
  [ApiKey.IncrementalAlterConfigs]: { min: 0, max: 1 },
  [ApiKey.DescribeLogDirs]: { min: 1, max: 4 },
  [ApiKey.DescribeCluster]: { min: 0, max: 1 },
  [ApiKey.CreatePartitions]: { min: 0, max: 3 },
  [ApiKey.DeleteRecords]: { min: 0, max: 2 },
  [ApiKey.InitProducerId]: { min: 0, max: 5 },
  // v4+ is the batched form brokers send each other (KIP-890); clients use v3 at most.
  [ApiKey.AddPartitionsToTxn]: { min: 0, max: 3 },
  [ApiKey.EndTxn]: { min: 0, max: 4 },
  [ApiKey.DescribeProducers]: { min: 0, max: 0 },
  // Share groups (KIP-932): the stable versions; ShareFetch/ShareAcknowledge v2 carry KIP-1206/1222.
  [ApiKey.ShareGroupHeartbeat]: { min: 1, max: 1 },
  [ApiKey.ShareGroupDescribe]: { min: 1, max: 1 },
  [ApiKey.ShareFetch]: { min: 1, max: 2 },
  [ApiKey.ShareAcknowledge]: { min: 1, max: 2 },
  [ApiKey.DescribeShareGroupOffsets]: { min: 0, max: 1 },
  [ApiKey.AlterShareGroupOffsets]: { min: 0, max: 0 },
  [ApiKey.DeleteShareGroupOffsets]: { min: 0, max: 0 },
  // v1: the member id is generated here (KIP-1082).
  [ApiKey.ConsumerGroupHeartbeat]: { min: 1, max: 1 },
  [ApiKey.ConsumerGroupDescribe]: { min: 0, max: 1 },
});

export interface BrokerApiVersion {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
}

/**
 * For each key the client implements, the highest version both sides support. Keys the broker
 * does not list, or whose ranges do not overlap, are absent: using them fails with
 * UNSUPPORTED_VERSION instead of sending something the broker would reject.
 */
export function negotiateVersions(broker: readonly BrokerApiVersion[], client = CLIENT_VERSIONS): Map<number, number> {
  const chosen = new Map<number, number>();
  for (const b of broker) {
    const c = client[b.apiKey];
    if (!c) continue;
    const max = Math.min(c.max, b.maxVersion);
    if (max >= Math.max(c.min, b.minVersion)) chosen.set(b.apiKey, max);
  }
  return chosen;
}

export function requireVersion(chosen: Map<number, number>, apiKey: number): number {
  const v = chosen.get(apiKey);
  if (v === undefined) throw new KafkaError(ErrorCode.UNSUPPORTED_VERSION, `broker and client share no version of api key ${apiKey}`);
  return v;
}
