import type { sendUnaryData, ServerUnaryCall } from '@grpc/grpc-js';
import type {
  clusterV1,
  ControllerServiceServer,
  CreateTopicsRequest,
  CreateTopicsResponse,
  DeleteTopicsRequest,
  DeleteTopicsResponse,
  DescribeClusterRequest,
  DescribeClusterResponse,
} from '@dms/rpc';
import { NotLeaderError } from '@dms/cluster';
import { ErrorCode, KafkaError } from '@dms/kafka-errors';
import { grpcError } from '@dms/rpc';
import { status as GrpcStatus } from '@grpc/grpc-js';
import type { AlterPartitionItem, AlterPartitionResult } from './alter-partition';
import type { ConfigManager } from './config-manager';
import type { FeatureManager } from './feature-manager';
import type { ControlledShutdownResult } from './controlled-shutdown';
import type { SetCordonResult } from './cordon';
import type { ProducerIdBlock } from './producer-id-manager';
import { electionTypeOf, type ElectionResult, type ElectionTarget } from './elect-leaders';
import type { ReassignmentRequest, ReassignmentResult } from './reassign-partitions';
import type { SecurityManager } from './security-manager';
import type { TopicManager, TopicResult } from './topic-manager';

export interface ControllerServiceState {
  isLeader(): boolean;
  topicManager: Pick<TopicManager, 'createTopics' | 'deleteTopics'> & Partial<Pick<TopicManager, 'createPartitions'>>;
  /** Absent in tests that only exercise topics. */
  configManager?: Pick<ConfigManager, 'alterConfigs'>;
  /** Absent in tests that only exercise topics. */
  securityManager?: Pick<SecurityManager, 'alterScramCredentials' | 'createAcls' | 'deleteAcls'>;
  clusterId(): string | undefined;
  /** The current leader's controller id, from etcd; undefined while there is none. */
  leaderId(): number | undefined;
  /** Applies one leader's ISR change (only called while leader). */
  alterPartition?(brokerId: number, item: AlterPartitionItem): Promise<AlterPartitionResult>;
  /** Runs requested elections; `targets` undefined means every partition (only called while leader). */
  electLeaders?(type: 'preferred' | 'unclean', targets: ElectionTarget[] | undefined): Promise<ElectionResult[]>;
  /** The next block of producer ids (only called while leader). */
  allocateProducerIds?(requesterId: number): Promise<ProducerIdBlock>;
  /** Starts or cancels partition moves (only called while leader). */
  reassignPartitions?(requests: ReassignmentRequest[]): Promise<ReassignmentResult[]>;
  /** Moves a stopping broker's leaderships and ISR places (only called while leader). */
  controlledShutdown?(brokerId: number): Promise<ControlledShutdownResult>;
  /** Cordons or uncordons a broker (only called while leader). */
  setBrokerCordon?(brokerId: number, cordoned: boolean): Promise<SetCordonResult>;
  /** Absent in tests that only exercise topics. */
  featureManager?: Pick<FeatureManager, 'updateFeatures'>;
}

/** The service as plain async functions: what the gRPC adapter calls and what tests call. */
export interface ControllerHandlers {
  createTopics(req: CreateTopicsRequest): Promise<CreateTopicsResponse>;
  deleteTopics(req: DeleteTopicsRequest): Promise<DeleteTopicsResponse>;
  describeCluster(req: DescribeClusterRequest): Promise<DescribeClusterResponse>;
  alterPartition(req: clusterV1.AlterPartitionRequest): Promise<clusterV1.AlterPartitionResponse>;
  electLeaders(req: clusterV1.ElectLeadersRequest): Promise<clusterV1.ElectLeadersResponse>;
  alterScramCredentials(req: clusterV1.AlterScramCredentialsRequest): Promise<clusterV1.AlterScramCredentialsResponse>;
  createAcls(req: clusterV1.CreateAclsRequest): Promise<clusterV1.CreateAclsResponse>;
  deleteAcls(req: clusterV1.DeleteAclsRequest): Promise<clusterV1.DeleteAclsResponse>;
  alterConfigs(req: clusterV1.AlterConfigsRequest): Promise<clusterV1.AlterConfigsResponse>;
  createPartitions(req: clusterV1.CreatePartitionsRequest): Promise<clusterV1.CreatePartitionsResponse>;
  allocateProducerIds(req: clusterV1.AllocateProducerIdsRequest): Promise<clusterV1.AllocateProducerIdsResponse>;
  alterPartitionReassignments(req: clusterV1.AlterPartitionReassignmentsRequest): Promise<clusterV1.AlterPartitionReassignmentsResponse>;
  controlledShutdown(req: clusterV1.ControlledShutdownRequest): Promise<clusterV1.ControlledShutdownResponse>;
  setBrokerCordon(req: clusterV1.SetBrokerCordonRequest): Promise<clusterV1.SetBrokerCordonResponse>;
  updateFeatures(req: clusterV1.UpdateFeaturesRequest): Promise<clusterV1.UpdateFeaturesResponse>;
}

const NOT_CONTROLLER = { errorCode: ErrorCode.NOT_CONTROLLER, errorMessage: 'This is not the active controller.' };

const notController = (name: string): TopicResult => ({
  name,
  errorCode: ErrorCode.NOT_CONTROLLER,
  errorMessage: 'This is not the active controller.',
  topicId: '',
  numPartitions: -1,
  replicationFactor: -1,
  configs: {},
});

export function createControllerHandlers(state: ControllerServiceState): ControllerHandlers {
  return {
    async createTopics(req) {
      const topics = req.topics ?? [];
      // A standby answers per topic, so callers handle it like any other topic error.
      if (!state.isLeader()) return { topics: topics.map((t) => notController(t.name)) };
      return { topics: await state.topicManager.createTopics(topics, req.validateOnly) };
    },
    async deleteTopics(req) {
      const names = req.names ?? [];
      if (!state.isLeader()) return { topics: names.map(notController) };
      return { topics: await state.topicManager.deleteTopics(names) };
    },
    async describeCluster() {
      return { clusterId: state.clusterId() ?? '', controllerId: state.leaderId() ?? -1 };
    },
    async alterPartition(req) {
      const items = req.partitions ?? [];
      const refuse = (i: AlterPartitionItem, errorCode: number, errorMessage: string): AlterPartitionResult => ({
        topic: i.topic, partition: i.partition, errorCode, errorMessage, leader: -1, leaderEpoch: -1, isr: [], partitionEpoch: -1,
      });
      if (!state.isLeader() || !state.alterPartition) {
        return { partitions: items.map((i) => refuse(i, ErrorCode.NOT_CONTROLLER, 'This is not the active controller.')) };
      }
      const apply = state.alterPartition;
      // Sequential: each is a compare-and-set, and a leader sends one change per partition.
      const partitions: AlterPartitionResult[] = [];
      for (const i of items) partitions.push(await apply(req.brokerId, i));
      return { partitions };
    },
    async electLeaders(req) {
      const targets = req.allPartitions ? undefined : (req.partitions ?? []).map((p) => ({ topic: p.topic, partition: p.partition }));
      const refuse = (errorCode: number, errorMessage: string) => ({
        errorCode,
        results: (targets ?? []).map((t) => ({ ...t, errorCode, errorMessage, leader: -1, leaderEpoch: -1 })),
      });
      if (!state.isLeader() || !state.electLeaders) return refuse(ErrorCode.NOT_CONTROLLER, 'This is not the active controller.');
      const type = electionTypeOf(req.electionType);
      if (!type) return refuse(ErrorCode.INVALID_REQUEST, `Unknown election type ${req.electionType}.`);
      return { errorCode: ErrorCode.NONE, results: await state.electLeaders(type, targets) };
    },
    async alterScramCredentials(req) {
      const users = [...new Set([...(req.deletions ?? []), ...(req.upsertions ?? [])].map((u) => u.user))];
      if (!state.isLeader() || !state.securityManager) return { results: users.map((user) => ({ user, ...NOT_CONTROLLER })) };
      return { results: await state.securityManager.alterScramCredentials(req.deletions ?? [], req.upsertions ?? []) };
    },
    async createAcls(req) {
      const list = req.creations ?? [];
      if (!state.isLeader() || !state.securityManager) return { results: list.map(() => NOT_CONTROLLER) };
      return { results: await state.securityManager.createAcls(list) };
    },
    async deleteAcls(req) {
      const list = req.bindings ?? [];
      if (!state.isLeader() || !state.securityManager) return { results: list.map(() => NOT_CONTROLLER) };
      return { results: await state.securityManager.deleteAcls(list) };
    },
    async alterConfigs(req) {
      const list = req.resources ?? [];
      if (!state.isLeader() || !state.configManager) {
        return { results: list.map((r) => ({ resourceType: r.resourceType, resourceName: r.resourceName, revision: 0n, ...NOT_CONTROLLER })) };
      }
      return { results: await state.configManager.alterConfigs(list, req.validateOnly) };
    },
    async createPartitions(req) {
      const topics = req.topics ?? [];
      const create = state.topicManager.createPartitions?.bind(state.topicManager);
      if (!state.isLeader() || !create) return { topics: topics.map((t) => ({ name: t.name, ...NOT_CONTROLLER })) };
      return { topics: await create(topics, req.validateOnly) };
    },
    async alterPartitionReassignments(req) {
      const requests = (req.partitions ?? []).map((p) => ({ topic: p.topic, partition: p.partition, replicas: p.cancel ? null : [...(p.replicas ?? [])] }));
      if (!state.isLeader() || !state.reassignPartitions) {
        return { errorCode: ErrorCode.NOT_CONTROLLER, results: requests.map((r) => ({ topic: r.topic, partition: r.partition, ...NOT_CONTROLLER })) };
      }
      return { errorCode: ErrorCode.NONE, results: await state.reassignPartitions(requests) };
    },
    async allocateProducerIds(req) {
      const none = { producerIdStart: -1n, producerIdLen: 0 };
      if (!state.isLeader() || !state.allocateProducerIds) return { ...none, ...NOT_CONTROLLER };
      try {
        const block = await state.allocateProducerIds(req.brokerId);
        return { errorCode: ErrorCode.NONE, errorMessage: '', producerIdStart: block.start, producerIdLen: block.length };
      } catch (e) {
        if (e instanceof NotLeaderError) return { ...none, ...NOT_CONTROLLER };
        if (e instanceof KafkaError) return { ...none, errorCode: e.code, errorMessage: e.message };
        return { ...none, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: `metadata store error: ${e instanceof Error ? e.message : String(e)}` };
      }
    },
    async controlledShutdown(req) {
      if (!state.isLeader() || !state.controlledShutdown) return { ...NOT_CONTROLLER, remaining: [], stuck: 0 };
      return state.controlledShutdown(req.brokerId);
    },
    async setBrokerCordon(req) {
      if (!state.isLeader() || !state.setBrokerCordon) return { ...NOT_CONTROLLER, wasCordoned: false };
      return state.setBrokerCordon(req.brokerId, req.cordoned);
    },
    async updateFeatures(req) {
      if (!state.isLeader() || !state.featureManager) return { ...NOT_CONTROLLER, epoch: 0n };
      return state.featureManager.updateFeatures({ ...(req.levels ?? {}) }, req.expectedEpoch ?? 0n);
    },
  };
}

function unary<Req, Res>(fn: (req: Req) => Promise<Res>) {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
    fn(call.request).then(
      (res) => callback(null, res),
      (err: unknown) => callback(grpcError(GrpcStatus.INTERNAL, `controller failed: ${err instanceof Error ? err.message : String(err)}`)),
    );
  };
}

/** The gRPC implementation of ControllerService over the given state. */
export function createControllerService(state: ControllerServiceState): ControllerServiceServer {
  const h = createControllerHandlers(state);
  return {
    createTopics: unary(h.createTopics),
    deleteTopics: unary(h.deleteTopics),
    describeCluster: unary(h.describeCluster),
    alterPartition: unary(h.alterPartition),
    electLeaders: unary(h.electLeaders),
    alterScramCredentials: unary(h.alterScramCredentials),
    createAcls: unary(h.createAcls),
    deleteAcls: unary(h.deleteAcls),
    alterConfigs: unary(h.alterConfigs),
    createPartitions: unary(h.createPartitions),
    allocateProducerIds: unary(h.allocateProducerIds),
    alterPartitionReassignments: unary(h.alterPartitionReassignments),
    controlledShutdown: unary(h.controlledShutdown),
    setBrokerCordon: unary(h.setBrokerCordon),
    updateFeatures: unary(h.updateFeatures),
  };
}
