// `dms brokers cordon|uncordon|list` against a real dev cluster (internal mutual TLS with the dev
// admin certificate): a topic created after cordoning broker 3 has no replica on it, cluster
// status and the list show the mark, too few uncordoned brokers answer a clear error, and after
// uncordoning new topics use broker 3 again.
import { KafkaClient } from '@dms/kafka-client';
import { ErrorCode } from '@dms/kafka-errors';
import { cleanup, runCli, startTestCluster, type TestCluster } from '@dms/testing';
import { readClusterStatus } from '@dms/devcluster';

jest.setTimeout(120_000);

let tc: TestCluster;
let client: KafkaClient;

beforeAll(async () => {
  tc = await startTestCluster({ brokers: 3, controllers: 1, gateways: 1 });
  client = new KafkaClient({ bootstrapServers: [tc.bootstrap], requestTimeoutMs: 10_000 });
});

afterAll(async () => {
  client?.close();
  await cleanup();
});

async function replicasOf(topic: string): Promise<number[][]> {
  const status = await readClusterStatus(tc.etcdEndpoint, 'dms');
  return status.partitions.filter((p) => p.topic === topic).map((p) => p.replicas);
}

describe('dms brokers cordon', () => {
  it('keeps new replicas off a cordoned broker until it is uncordoned', async () => {
    const cordon = await runCli(['brokers', 'cordon', '3', '--data-dir', tc.dataDir], { timeoutMs: 30_000 });
    expect({ code: cordon.code, stderr: cordon.stderr }).toEqual({ code: 0, stderr: '' });
    expect(cordon.stdout).toMatch(/broker 3 cordoned/);

    const list = await runCli(['brokers', 'list', '--data-dir', tc.dataDir, '--json'], { timeoutMs: 30_000 });
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout).map((r: { id: number; cordoned: boolean }) => [r.id, r.cordoned])).toEqual([[1, false], [2, false], [3, true]]);
    const status = await runCli(['cluster', 'status', '--data-dir', tc.dataDir], { timeoutMs: 30_000 });
    expect(status.stdout).toMatch(/ 3 .*cordoned/);

    const [created] = await client.createTopics([{ name: 'after-cordon', numPartitions: 12, replicationFactor: 2 }]);
    expect(created!.errorCode).toBe(0);
    const replicas = await replicasOf('after-cordon');
    expect(replicas).toHaveLength(12);
    expect(replicas.flat()).not.toContain(3);
    expect(new Set(replicas.flat())).toEqual(new Set([1, 2]));

    // Growing an older topic places nothing on broker 3 either.
    const [grown] = await client.createPartitions([{ name: 'after-cordon', count: 16 }]);
    expect(grown!.errorCode).toBe(0);
    expect((await replicasOf('after-cordon')).flat()).not.toContain(3);

    const [tooWide] = await client.createTopics([{ name: 'too-wide', numPartitions: 1, replicationFactor: 3 }]);
    expect(tooWide!.errorCode).toBe(ErrorCode.INVALID_REPLICATION_FACTOR);
    expect(tooWide!.errorMessage).toMatch(/cordoned brokers take no new replicas: 3/);

    const uncordon = await runCli(['brokers', 'uncordon', '3', '--data-dir', tc.dataDir], { timeoutMs: 30_000 });
    expect(uncordon.code).toBe(0);
    const [wide] = await client.createTopics([{ name: 'after-uncordon', numPartitions: 3, replicationFactor: 3 }]);
    expect(wide!.errorCode).toBe(0);
    for (const r of await replicasOf('after-uncordon')) expect(r).toContain(3);
    expect(tc.unexpectedExits).toEqual([]);
  });

  it('refuses a malformed broker id', async () => {
    const res = await runCli(['brokers', 'cordon', 'x1', '--data-dir', tc.dataDir], { timeoutMs: 30_000 });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/non-negative integer/);
  });
});
