import type { ClusterView } from '@dms/cluster';
import { ErrorCode } from '@dms/kafka-errors';
import type {
  ConfigResourceChangeInput, ConfigResourceOutcome, ControllerPort, ElectionOutcome, NewPartitionsOutcome, NewPartitionsSpec, ReassignmentOutcome, ReassignmentSpec,
  TopicOutcome, TopicSpec,
} from '@dms/kafka-handlers';
import { ControllerServiceClient, createClient, traceContextOf, unary, type clusterV1, type GrpcClientOptions, type TopicResult } from '@dms/rpc';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends admin requests to whichever controller currently leads, following leadership changes. */
export class GatewayControllerPort implements ControllerPort {
  private client: { address: string; client: ControllerServiceClient } | undefined;

  constructor(private readonly view: ClusterView, private readonly clientOptions: GrpcClientOptions = {}) {}

  createTopics(specs: TopicSpec[], validateOnly: boolean, timeoutMs: number): Promise<TopicOutcome[]> {
    return this.withLeader(timeoutMs, specs.map((s) => s.name), (c, ms) =>
      unary(c.createTopics.bind(c), {
        topics: specs.map((s) => ({ ...s, assignments: s.assignments.map((a) => ({ partition: a.partition, brokerIds: a.brokerIds })) })),
        validateOnly,
        timeoutMs,
        traceContext: traceContextOf(),
      }, { timeoutMs: ms }).then((r) => r.topics),
    );
  }

  deleteTopics(names: string[], timeoutMs: number): Promise<TopicOutcome[]> {
    return this.withLeader(timeoutMs, names, (c, ms) =>
      unary(c.deleteTopics.bind(c), { names, timeoutMs, traceContext: traceContextOf() }, { timeoutMs: ms }).then((r) => r.topics),
    );
  }

  async electLeaders(electionType: number, partitions: { topic: string; partition: number }[] | null, timeoutMs: number): Promise<ElectionOutcome[]> {
    const results = await this.adminCall(
      async (c, ms) => {
        const res = await unary(c.electLeaders.bind(c), { electionType, allPartitions: partitions === null, partitions: partitions ?? [] }, { timeoutMs: ms });
        // A standby: retry on the leader (also when no partition was named, so no result says so).
        if (res.errorCode === ErrorCode.NOT_CONTROLLER) throw new Error('not the controller');
        return res.results;
      },
      () => (partitions ?? []).map((p) => ({ ...p, errorCode: ErrorCode.REQUEST_TIMED_OUT, errorMessage: 'no controller leader answered in time', leader: -1, leaderEpoch: -1 })),
      timeoutMs,
    );
    return results.map((r) => ({ topic: r.topic, partition: r.partition, errorCode: r.errorCode, errorMessage: r.errorMessage || null }));
  }

  async alterPartitionReassignments(specs: ReassignmentSpec[], timeoutMs: number): Promise<ReassignmentOutcome[]> {
    const partitions = specs.map((s) => ({ topic: s.topic, partition: s.partition, cancel: s.replicas === null, replicas: s.replicas ?? [] }));
    const results = await this.adminCall(
      async (c, ms) => {
        const res = await unary(c.alterPartitionReassignments.bind(c), { partitions }, { timeoutMs: ms });
        if (res.errorCode === ErrorCode.NOT_CONTROLLER) throw new Error('not the controller');
        return res.results;
      },
      () => specs.map((s) => ({ topic: s.topic, partition: s.partition, errorCode: ErrorCode.REQUEST_TIMED_OUT, errorMessage: 'no controller leader answered in time' })),
      timeoutMs,
    );
    return results.map((r) => ({ topic: r.topic, partition: r.partition, errorCode: r.errorCode, errorMessage: r.errorMessage || null }));
  }

  async alterConfigs(resources: ConfigResourceChangeInput[], validateOnly: boolean, timeoutMs: number): Promise<ConfigResourceOutcome[]> {
    const request = {
      validateOnly,
      resources: resources.map((r) => ({
        resourceType: r.resourceType,
        resourceName: r.resourceName,
        replace: r.replace,
        changes: r.changes.map((c) => ({ name: c.name, op: c.op, value: c.value ?? '', valueNull: c.value === null })),
      })),
    };
    const results = await this.adminCall(
      (c, ms) => unary(c.alterConfigs.bind(c), request, { timeoutMs: ms }).then((r) => r.results),
      () => resources.map((r) => ({ resourceType: r.resourceType, resourceName: r.resourceName, errorCode: ErrorCode.REQUEST_TIMED_OUT, errorMessage: 'no controller leader answered in time', revision: 0n })),
      timeoutMs,
    );
    return results.map((r) => ({ resourceType: r.resourceType, resourceName: r.resourceName, errorCode: r.errorCode, errorMessage: r.errorMessage || null, revision: r.revision ?? 0n }));
  }

  async updateFeatures(levels: Record<string, number>, expectedEpoch: bigint, timeoutMs: number): Promise<{ errorCode: number; errorMessage: string | null; epoch: bigint }> {
    const [res] = await this.adminCall(
      async (c, ms) => [await unary(c.updateFeatures.bind(c), { levels, expectedEpoch }, { timeoutMs: ms })],
      () => [{ errorCode: ErrorCode.REQUEST_TIMED_OUT, errorMessage: 'no controller leader answered in time', epoch: 0n }],
      timeoutMs,
    );
    return { errorCode: res.errorCode, errorMessage: res.errorMessage || null, epoch: res.epoch ?? 0n };
  }

  async createPartitions(specs: NewPartitionsSpec[], validateOnly: boolean, timeoutMs: number): Promise<NewPartitionsOutcome[]> {
    const topics = specs.map((s) => ({
      name: s.name,
      count: s.count,
      explicitAssignment: s.assignments !== null,
      assignments: (s.assignments ?? []).map((brokerIds) => ({ brokerIds })),
    }));
    const results = await this.adminCall(
      (c, ms) => unary(c.createPartitions.bind(c), { topics, validateOnly, timeoutMs, traceContext: traceContextOf() }, { timeoutMs: ms }).then((r) => r.topics),
      () => specs.map((s) => ({ name: s.name, errorCode: ErrorCode.REQUEST_TIMED_OUT, errorMessage: 'no controller leader answered in time' })),
      Math.max(timeoutMs, 5_000),
    );
    return results.map((r) => ({ name: r.name, errorCode: r.errorCode, errorMessage: r.errorMessage || null }));
  }

  /**
   * A block of producer ids from the leading controller, for `requesterId` (this gateway's
   * node id). Retried on the current leader until it answers or `timeoutMs` passes.
   */
  async allocateProducerIds(requesterId: number, timeoutMs: number): Promise<clusterV1.AllocateProducerIdsResponse> {
    const [res] = await this.adminCall(
      (c, ms) => unary(c.allocateProducerIds.bind(c), { brokerId: requesterId }, { timeoutMs: ms }).then((r) => [r]),
      () => [{ errorCode: ErrorCode.REQUEST_TIMED_OUT, errorMessage: 'no controller leader answered in time', producerIdStart: -1n, producerIdLen: 0 }],
      timeoutMs,
    );
    return res;
  }

  close(): void {
    this.client?.client.close();
  }

  alterScramCredentials(deletions: clusterV1.ScramDeletion[], upsertions: clusterV1.ScramUpsertion[]): Promise<clusterV1.UserResult[]> {
    return this.adminCall((c, ms) => unary(c.alterScramCredentials.bind(c), { deletions, upsertions }, { timeoutMs: ms }).then((r) => r.results),
      () => [...new Set([...deletions, ...upsertions].map((u) => u.user))].map((user) => ({ user, errorCode: ErrorCode.REQUEST_TIMED_OUT, errorMessage: 'no controller leader answered in time' })));
  }

  createAcls(bindings: clusterV1.AclBinding[]): Promise<clusterV1.AclResult[]> {
    return this.adminCall((c, ms) => unary(c.createAcls.bind(c), { creations: bindings }, { timeoutMs: ms }).then((r) => r.results),
      () => bindings.map(() => ({ errorCode: ErrorCode.REQUEST_TIMED_OUT, errorMessage: 'no controller leader answered in time' })));
  }

  deleteAcls(bindings: clusterV1.AclBinding[]): Promise<clusterV1.AclResult[]> {
    return this.adminCall((c, ms) => unary(c.deleteAcls.bind(c), { bindings }, { timeoutMs: ms }).then((r) => r.results),
      () => bindings.map(() => ({ errorCode: ErrorCode.REQUEST_TIMED_OUT, errorMessage: 'no controller leader answered in time' })));
  }

  /** Security admin calls: like topic calls, retried on the current leader until it answers. */
  private async adminCall<R extends { errorCode: number }>(call: (c: ControllerServiceClient, ms: number) => Promise<R[]>, timedOut: () => R[], timeoutMs = 10_000): Promise<R[]> {
    const deadline = Date.now() + Math.max(timeoutMs, 1_000);
    for (;;) {
      const leader = this.view.controllerLeader();
      if (leader) {
        try {
          const results = await call(this.clientFor(`${leader.host}:${leader.port}`), Math.max(deadline - Date.now(), 1_000));
          if (!results.some((r) => r.errorCode === ErrorCode.NOT_CONTROLLER)) return results;
        } catch {
          // Leader gone or moving: re-read it from the view and try again.
        }
      }
      if (Date.now() + 200 > deadline) return timedOut();
      await sleep(200);
    }
  }

  private async withLeader(
    timeoutMs: number,
    names: string[],
    call: (c: ControllerServiceClient, ms: number) => Promise<TopicResult[]>,
  ): Promise<TopicOutcome[]> {
    const deadline = Date.now() + Math.max(timeoutMs, 5_000);
    for (;;) {
      const leader = this.view.controllerLeader();
      const remaining = deadline - Date.now();
      if (leader) {
        try {
          const results = await call(this.clientFor(`${leader.host}:${leader.port}`), Math.max(remaining, 1_000));
          if (!results.every((r) => r.errorCode === ErrorCode.NOT_CONTROLLER)) return results.map(toOutcome);
        } catch {
          // Leader gone or moving: re-read it from the view and try again.
        }
      }
      if (Date.now() + 200 > deadline) {
        return names.map((name) => ({ ...toOutcome({ name } as TopicResult), errorCode: ErrorCode.REQUEST_TIMED_OUT, errorMessage: 'no controller leader answered in time' }));
      }
      await sleep(200);
    }
  }

  private clientFor(address: string): ControllerServiceClient {
    if (this.client?.address === address) return this.client.client;
    this.client?.client.close();
    const client = createClient(ControllerServiceClient, address, this.clientOptions);
    this.client = { address, client };
    return client;
  }
}

function toOutcome(r: TopicResult): TopicOutcome {
  return {
    name: r.name,
    errorCode: r.errorCode ?? ErrorCode.NONE,
    errorMessage: r.errorMessage || null,
    topicId: r.topicId ?? '',
    numPartitions: r.numPartitions ?? -1,
    replicationFactor: r.replicationFactor ?? -1,
    configs: r.configs ?? {},
  };
}
