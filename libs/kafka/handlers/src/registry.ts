import { produceHandler } from './00-produce';
import { fetchHandler } from './01-fetch';
import { listOffsetsHandler } from './02-list-offsets';
import { metadataHandler } from './03-metadata';
import { offsetCommitHandler } from './08-offset-commit';
import { offsetFetchHandler } from './09-offset-fetch';
import { findCoordinatorHandler } from './10-find-coordinator';
import { joinGroupHandler } from './11-join-group';
import { heartbeatHandler } from './12-heartbeat';
import { leaveGroupHandler } from './13-leave-group';
import { syncGroupHandler } from './14-sync-group';
import { describeGroupsHandler } from './15-describe-groups';
import { listGroupsHandler } from './16-list-groups';
import { apiVersionsHandler } from './18-api-versions';
import { updateFeaturesHandler } from './57-update-features';
import { getTelemetrySubscriptionsHandler } from './71-get-telemetry-subscriptions';
import { pushTelemetryHandler } from './72-push-telemetry';
import { listConfigResourcesHandler } from './74-list-config-resources';
import { createTopicsHandler } from './19-create-topics';
import { deleteTopicsHandler } from './20-delete-topics';
import { deleteRecordsHandler } from './21-delete-records';
import { describeProducersHandler } from './61-describe-producers';
import { deleteGroupsHandler } from './42-delete-groups';
import { electLeadersHandler } from './43-elect-leaders';
import { alterPartitionReassignmentsHandler } from './45-alter-partition-reassignments';
import { listPartitionReassignmentsHandler } from './46-list-partition-reassignments';
import { offsetDeleteHandler } from './47-offset-delete';
import { offsetForLeaderEpochHandler } from './23-offset-for-leader-epoch';
import { txnOffsetCommitHandler } from './28-txn-offset-commit';
import { saslHandshakeHandler } from './17-sasl-handshake';
import { describeAclsHandler } from './29-describe-acls';
import { createAclsHandler } from './30-create-acls';
import { deleteAclsHandler } from './31-delete-acls';
import { saslAuthenticateHandler } from './36-sasl-authenticate';
import { createPartitionsHandler } from './37-create-partitions';
import { describeUserScramCredentialsHandler } from './50-describe-user-scram-credentials';
import { alterUserScramCredentialsHandler } from './51-alter-user-scram-credentials';
import { describeConfigsHandler } from './32-describe-configs';
import { alterConfigsHandler } from './33-alter-configs';
import { describeLogDirsHandler } from './35-describe-log-dirs';
import { incrementalAlterConfigsHandler } from './44-incremental-alter-configs';
import { describeClusterHandler } from './60-describe-cluster';
import { initProducerIdHandler } from './22-init-producer-id';
import { addPartitionsToTxnHandler } from './24-add-partitions-to-txn';
import { addOffsetsToTxnHandler } from './25-add-offsets-to-txn';
import { endTxnHandler } from './26-end-txn';
import { describeTransactionsHandler } from './65-describe-transactions';
import { listTransactionsHandler } from './66-list-transactions';
import { shareGroupHeartbeatHandler } from './76-share-group-heartbeat';
import { shareGroupDescribeHandler } from './77-share-group-describe';
import { shareFetchHandler } from './78-share-fetch';
import { shareAcknowledgeHandler } from './79-share-acknowledge';
import { describeShareGroupOffsetsHandler } from './90-describe-share-group-offsets';
import { alterShareGroupOffsetsHandler } from './91-alter-share-group-offsets';
import { deleteShareGroupOffsetsHandler } from './92-delete-share-group-offsets';
import { consumerGroupHeartbeatHandler } from './68-consumer-group-heartbeat';
import { consumerGroupDescribeHandler } from './69-consumer-group-describe';
import { apiSchema } from '@dms/kafka-schema';
import type { KafkaHandler } from './handler';

/** Every Kafka API the gateway serves. ApiVersions is derived from this list. */
export const handlers: readonly KafkaHandler[] = [
  produceHandler,
  fetchHandler,
  listOffsetsHandler,
  metadataHandler,
  offsetCommitHandler,
  offsetFetchHandler,
  findCoordinatorHandler,
  joinGroupHandler,
  heartbeatHandler,
  leaveGroupHandler,
  syncGroupHandler,
  describeGroupsHandler,
  listGroupsHandler,
  apiVersionsHandler(() => handlers),
  updateFeaturesHandler(() => handlers),
  createTopicsHandler,
  deleteTopicsHandler,
  deleteRecordsHandler,
  describeProducersHandler,
  deleteGroupsHandler,
  electLeadersHandler,
  alterPartitionReassignmentsHandler,
  listPartitionReassignmentsHandler,
  offsetDeleteHandler,
  offsetForLeaderEpochHandler,
  txnOffsetCommitHandler,
  saslHandshakeHandler,
  describeAclsHandler,
  createAclsHandler,
  deleteAclsHandler,
  saslAuthenticateHandler,
  createPartitionsHandler,
  describeUserScramCredentialsHandler,
  alterUserScramCredentialsHandler,
  describeConfigsHandler,
  alterConfigsHandler,
  describeLogDirsHandler,
  incrementalAlterConfigsHandler,
  describeClusterHandler,
  initProducerIdHandler,
  addPartitionsToTxnHandler,
  addOffsetsToTxnHandler,
  endTxnHandler,
  describeTransactionsHandler,
  listTransactionsHandler,
  shareGroupHeartbeatHandler,
  shareGroupDescribeHandler,
  shareFetchHandler,
  shareAcknowledgeHandler,
  describeShareGroupOffsetsHandler,
  alterShareGroupOffsetsHandler,
  deleteShareGroupOffsetsHandler,
  getTelemetrySubscriptionsHandler,
  pushTelemetryHandler,
  listConfigResourcesHandler,
  consumerGroupHeartbeatHandler,
  consumerGroupDescribeHandler,
];

const byKey = new Map<number, KafkaHandler>(handlers.map((h) => [h.apiKey, h]));

export function handlerFor(apiKey: number): KafkaHandler | undefined {
  return byKey.get(apiKey);
}

/** Kafka's name of an API key, served or not ("api-<key>" for a key Kafka does not define). */
export function apiName(apiKey: number): string {
  return handlerFor(apiKey)?.name ?? apiSchema(apiKey)?.name ?? `api-${apiKey}`;
}
