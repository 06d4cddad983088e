import type { ServiceRole } from './service-identity';

/**
 * Who may call what between DMS services, declared once per gRPC method (by its full path).
 * The server wrapper (authorize.ts) refuses to serve a method missing here, so no method can
 * be added without a decision on its callers.
 *
 * A caller is a role, or `self`: a broker calling its own server (the group and transaction
 * coordinators append to their partitions through their broker's StorageService). `callerIdField`
 * names a request field that must hold the caller's own id (a broker cannot fetch as another
 * replica or shrink an ISR on another broker's behalf); on streams every message is checked.
 */
export type Caller = ServiceRole | 'self';

export interface MethodPolicy {
  callers: readonly Caller[];
  callerIdField?: string;
}

const gateway: MethodPolicy = { callers: ['gateway'] };

export const METHOD_POLICIES: Readonly<Record<string, MethodPolicy>> = {
  // Brokers: the data plane gateways drive, plus replication between brokers.
  '/dms.storage.v1.StorageService/Produce': { callers: ['gateway', 'self'] },
  '/dms.storage.v1.StorageService/Fetch': gateway,
  '/dms.storage.v1.StorageService/ProduceBatch': gateway,
  // Brokers too: a group coordinator reads the high watermarks of partitions led elsewhere for its
  // consumer lag metrics (read-only, one call per leader per collection interval).
  '/dms.storage.v1.StorageService/ListOffsets': { callers: ['gateway', 'broker'] },
  '/dms.storage.v1.StorageService/ReplicaFetch': { callers: ['broker'], callerIdField: 'replicaId' },
  '/dms.storage.v1.StorageService/OffsetForLeaderEpoch': gateway,
  '/dms.storage.v1.StorageService/DescribeLogDirs': gateway,
  '/dms.storage.v1.StorageService/DeleteRecords': gateway,
  // Transaction coordinators (on brokers) write the markers.
  '/dms.storage.v1.StorageService/WriteTxnMarkers': { callers: ['broker'] },
  '/dms.storage.v1.StorageService/DescribeProducers': gateway,
  // An operator brings a log dir back online once space is freed (`dms brokers log-dirs --online`).
  '/dms.storage.v1.StorageService/RecoverLogDir': { callers: ['admin'] },
  // Message query: the CLI (admin certificate) and the web console (console certificate); gateways
  // may serve it to Kafka-authenticated users in the future.
  '/dms.storage.v1.StorageService/Query': { callers: ['gateway', 'admin', 'console'] },

  // Group and transaction coordinators (hosted by brokers) serve the gateways' Kafka requests.
  '/dms.groups.v1.GroupCoordinatorService/JoinGroup': gateway,
  '/dms.groups.v1.GroupCoordinatorService/SyncGroup': gateway,
  '/dms.groups.v1.GroupCoordinatorService/Heartbeat': gateway,
  '/dms.groups.v1.GroupCoordinatorService/LeaveGroup': gateway,
  '/dms.groups.v1.GroupCoordinatorService/OffsetCommit': gateway,
  '/dms.groups.v1.GroupCoordinatorService/TxnOffsetCommit': gateway,
  '/dms.groups.v1.GroupCoordinatorService/OffsetFetch': gateway,
  '/dms.groups.v1.GroupCoordinatorService/OffsetDelete': gateway,
  '/dms.groups.v1.GroupCoordinatorService/DescribeGroups': gateway,
  '/dms.groups.v1.GroupCoordinatorService/ListGroups': gateway,
  '/dms.groups.v1.GroupCoordinatorService/DeleteGroups': gateway,
  // Share groups (KIP-932): membership at the group coordinator, windows at partition leaders,
  // durable state at the share coordinator (share-partition leaders, and gateways for the offsets APIs).
  '/dms.share.v1.ShareGroupService/ShareGroupHeartbeat': gateway,
  '/dms.share.v1.ShareGroupService/ShareGroupDescribe': gateway,
  '/dms.share.v1.SharePartitionService/ShareFetch': gateway,
  '/dms.share.v1.SharePartitionService/ShareAcknowledge': gateway,
  '/dms.share.v1.SharePartitionService/ResetSharePartitions': gateway,
  '/dms.share.v1.ShareStateService/InitializeShareState': { callers: ['broker'] },
  '/dms.share.v1.ShareStateService/ReadShareState': { callers: ['broker'] },
  '/dms.share.v1.ShareStateService/WriteShareState': { callers: ['broker'] },
  '/dms.share.v1.ShareStateService/DeleteShareState': { callers: ['broker', 'gateway'] },
  '/dms.share.v1.ShareStateService/ReadShareGroupOffsets': { callers: ['gateway'] },
  '/dms.groups.v1.GroupCoordinatorService/ConsumerGroupHeartbeat': gateway,
  '/dms.groups.v1.GroupCoordinatorService/ConsumerGroupDescribe': gateway,
  '/dms.transactions.v1.TransactionCoordinatorService/InitProducerId': gateway,
  '/dms.transactions.v1.TransactionCoordinatorService/AddPartitionsToTxn': gateway,
  '/dms.transactions.v1.TransactionCoordinatorService/AddOffsetsToTxn': gateway,
  '/dms.transactions.v1.TransactionCoordinatorService/EndTxn': gateway,
  '/dms.transactions.v1.TransactionCoordinatorService/DescribeTransactions': gateway,
  '/dms.transactions.v1.TransactionCoordinatorService/ListTransactions': gateway,

  // The controller: admin work comes from gateways (which check the Kafka ACLs first); brokers
  // report ISR changes for themselves only.
  '/dms.cluster.v1.ControllerService/CreateTopics': gateway,
  '/dms.cluster.v1.ControllerService/DeleteTopics': gateway,
  '/dms.cluster.v1.ControllerService/DescribeCluster': { callers: ['gateway', 'broker', 'controller'] },
  '/dms.cluster.v1.ControllerService/AlterPartition': { callers: ['broker'], callerIdField: 'brokerId' },
  '/dms.cluster.v1.ControllerService/ElectLeaders': gateway,
  '/dms.cluster.v1.ControllerService/AlterScramCredentials': gateway,
  '/dms.cluster.v1.ControllerService/CreateAcls': gateway,
  '/dms.cluster.v1.ControllerService/DeleteAcls': gateway,
  '/dms.cluster.v1.ControllerService/AlterConfigs': gateway,
  '/dms.cluster.v1.ControllerService/CreatePartitions': gateway,
  '/dms.cluster.v1.ControllerService/AlterPartitionReassignments': gateway,
  '/dms.cluster.v1.ControllerService/UpdateFeatures': gateway,
  // Gateways (for idempotent producers) and brokers (transaction coordinators) take producer id
  // blocks, each under its own id.
  '/dms.cluster.v1.ControllerService/AllocateProducerIds': { callers: ['gateway', 'broker'], callerIdField: 'brokerId' },
  // A stopping broker moves its own leaderships away (Kafka's ControlledShutdown), for itself only.
  '/dms.cluster.v1.ControllerService/ControlledShutdown': { callers: ['broker'], callerIdField: 'brokerId' },
  // An operator (`dms brokers cordon|uncordon`, admin certificate) keeps new replicas off a broker.
  '/dms.cluster.v1.ControllerService/SetBrokerCordon': { callers: ['admin'] },
  // An operator (`dms brokers decommission`, admin certificate) empties a broker.
  '/dms.cluster.v1.ControllerService/DecommissionBroker': { callers: ['admin'] },
};

export function methodPolicy(path: string): MethodPolicy | undefined {
  return Object.prototype.hasOwnProperty.call(METHOD_POLICIES, path) ? METHOD_POLICIES[path] : undefined;
}
