// InitProducerId for idempotent producers: two gateways hand out disjoint producer ids from
// controller-allocated blocks, and ids stay unique when the controller leader is killed and a
// gateway restarts (its new block comes from the new leader, after every earlier block).
import { Etcd3 } from 'etcd3';
import { controllerLeader, controllerLeaderKey } from '@dms/cluster';
import { waitFor } from '@dms/devcluster';
import { ApiKey } from '@dms/kafka-codec';
import { KafkaConnection } from '@dms/kafka-client';
import { ErrorCode } from '@dms/kafka-errors';
import { cleanup, startTestCluster, type TestCluster } from '@dms/testing';

jest.setTimeout(180_000);

let tc: TestCluster;
let etcd: Etcd3;
const conns: KafkaConnection[] = [];

beforeAll(async () => {
  tc = await startTestCluster({ brokers: 1, controllers: 2, gateways: 2 });
  etcd = new Etcd3({ hosts: `http://${tc.etcdEndpoint}` });
});

afterAll(async () => {
  for (const c of conns) c.close();
  etcd?.close();
  await cleanup();
});

async function gatewayConnection(id: number): Promise<KafkaConnection> {
  const port = tc.cluster.service('gateway', id).ports.kafkaPort;
  const conn = await KafkaConnection.open('127.0.0.1', port, {});
  conns.push(conn);
  return conn;
}

interface InitProducerIdResponse {
  errorCode: number;
  producerId: bigint;
  producerEpoch: number;
}

/** `n` idempotent InitProducerId requests, pipelined; every answer must carry an id and epoch 0. */
async function producerIds(conn: KafkaConnection, n: number, version = 4): Promise<bigint[]> {
  const answers = await Promise.all(
    Array.from({ length: n }, () =>
      conn.request<InitProducerIdResponse>(ApiKey.InitProducerId, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 }, { version }),
    ),
  );
  for (const a of answers) expect({ errorCode: a.errorCode, producerEpoch: a.producerEpoch }).toEqual({ errorCode: ErrorCode.NONE, producerEpoch: 0 });
  return answers.map((a) => a.producerId);
}

function expectDisjoint(...lists: bigint[][]): void {
  const all = lists.flat();
  expect(new Set(all).size).toBe(all.length);
}

describe('producer ids', () => {
  it('are unique across gateways, versions, a controller leader change and a gateway restart', async () => {
    const g1 = await gatewayConnection(1);
    const g2 = await gatewayConnection(2);
    const first1 = await producerIds(g1, 50);
    const first2 = await producerIds(g2, 50, 0);
    expectDisjoint(first1, first2);
    for (const id of [...first1, ...first2]) expect(id).toBeGreaterThanOrEqual(0n);

    const leaderOf = async () => controllerLeader.decode(await etcd.get(controllerLeaderKey(tc.cluster.clusterName)).string())?.id;
    const oldLeader = await leaderOf();
    expect(oldLeader).toBeDefined();
    await tc.cluster.kill('controller', oldLeader!, 'SIGKILL');
    await waitFor('the other controller to lead', async () => {
      const id = await leaderOf();
      return id !== undefined && id !== oldLeader;
    }, 60_000, 200);

    // Gateway 2 uses up its block: the next one comes from the new leader.
    const more2 = await producerIds(g2, 1_100);
    // Gateway 1 restarts: the rest of its block is lost, never reused.
    await tc.cluster.restart('gateway', 1);
    const g1b = await gatewayConnection(1);
    const after1 = await producerIds(g1b, 20);
    expectDisjoint(first1, first2, more2, after1);
    const before = [...first1, ...first2].reduce((a, b) => (a > b ? a : b));
    for (const id of after1) expect(id).toBeGreaterThan(before);
  });

  it('refuses a producer id without its epoch and an empty transactional id', async () => {
    const conn = await gatewayConnection(2);
    const ask = (body: object, version = 4) => conn.request<InitProducerIdResponse>(ApiKey.InitProducerId, body, { version });
    expect((await ask({ transactionalId: null, transactionTimeoutMs: 1000, producerId: 5n, producerEpoch: -1 })).errorCode).toBe(ErrorCode.INVALID_REQUEST);
    expect((await ask({ transactionalId: '', transactionTimeoutMs: 1000, producerId: -1n, producerEpoch: -1 })).errorCode).toBe(ErrorCode.INVALID_REQUEST);
  });
});
