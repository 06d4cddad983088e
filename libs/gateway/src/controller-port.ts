import type { ClusterView } from '@dms/cluster';
import { ErrorCode } from '@dms/kafka-errors';
import type { ControllerPort, TopicOutcome, TopicSpec } from '@dms/kafka-handlers';
import { ControllerServiceClient, createClient, traceContextOf, unary, type TopicResult } from '@dms/rpc';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends admin requests to whichever controller currently leads, following leadership changes. */
export class GatewayControllerPort implements ControllerPort {
  private client: { address: string; client: ControllerServiceClient } | undefined;

  constructor(private readonly view: ClusterView) {}

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

  close(): void {
    this.client?.client.close();
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
    const client = createClient(ControllerServiceClient, address);
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
