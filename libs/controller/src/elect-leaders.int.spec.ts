// Requested elections (Kafka's ElectLeaders) and the auto leader rebalance against a real etcd:
// fenced writes that bump both epochs, Kafka's error codes, and leadership moving back to the
// preferred replica once it is alive and in the ISR.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { brokerKey, brokerRegistration, partitionKey, partitionState, type PartitionState } from '@dms/cluster';
import { startEtcd, waitFor, type EtcdProcess } from '@dms/devcluster';
import { ErrorCode } from '@dms/kafka-errors';
import { ControllerServiceClient, createClient, unary } from '@dms/rpc';
import { Controller, type ControllerOptions } from './controller';

jest.setTimeout(60_000);

describe('requested elections (real etcd)', () => {
  let dir: string;
  let etcd: EtcdProcess;
  let admin: Etcd3;
  const running: Controller[] = [];
  const clients: ControllerServiceClient[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dms-elect-'));
    etcd = await startEtcd({ dataDir: dir });
    admin = new Etcd3({ hosts: `http://${etcd.endpoint}` });
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    for (const c of running) await c.stop();
    admin.close();
    await etcd.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function setup(cluster: string, extra: Partial<ControllerOptions> = {}) {
    for (const id of [1, 2, 3]) {
      await admin.put(brokerKey(cluster, id)).value(brokerRegistration.encode({ id, host: '127.0.0.1', port: 1000 + id, rack: null, startTimeMs: 1 }));
    }
    const c = new Controller({
      id: 1, clusterName: cluster, etcdEndpoints: [etcd.endpoint], leaseTtlMs: 3000, grpcHost: '127.0.0.1', grpcPort: 0,
      numPartitions: 1, defaultReplicationFactor: 3, autoLeaderRebalance: { enable: false, intervalMs: 1000, imbalancePercentage: 10 }, ...extra,
    });
    running.push(c);
    await c.start();
    await waitFor('leader', () => c.isLeader, 10_000);
    const client = createClient(ControllerServiceClient, `127.0.0.1:${c.grpcPort}`);
    clients.push(client);
    const created = await unary(client.createTopics.bind(client), {
      topics: [{ name: 't', numPartitions: -1, replicationFactor: -1, assignments: [{ partition: 0, brokerIds: [1, 2, 3] }, { partition: 1, brokerIds: [2, 3, 1] }], configs: {} }],
      validateOnly: false, timeoutMs: 5000, traceContext: {},
    });
    expect(created.topics[0].errorCode).toBe(0);
    const state = async (p: number) => partitionState.decode(await admin.get(partitionKey(cluster, 't', p)).string())!;
    // What the reconciler leaves after broker 1 failed and came back into the ISR.
    const put = async (p: number, s: Partial<PartitionState>) => {
      const cur = await state(p);
      await admin.put(partitionKey(cluster, 't', p)).value(partitionState.encode({ ...cur, ...s, partitionEpoch: cur.partitionEpoch + 1 }));
      await waitFor('the controller sees the state', () => (c.view.partitions('t').get(p)?.partitionEpoch ?? 0) >= cur.partitionEpoch + 1, 5000);
    };
    const elect = (electionType: number, partitions: number[] | null) =>
      unary(client.electLeaders.bind(client), {
        electionType, allPartitions: partitions === null, partitions: (partitions ?? []).map((partition) => ({ topic: 't', partition })),
      }).then((r) => r.results.map((x) => [x.partition, x.errorCode]));
    return { c, state, put, elect };
  }

  it('preferred: elects the first replica when it can lead, with Kafka error codes otherwise', async () => {
    const { state, put, elect } = await setup('pref');
    await put(0, { leader: 2, leaderEpoch: 1, isr: [2, 3, 1] });
    const before = await state(0);
    expect(await elect(0, [0, 1, 9])).toEqual([[0, ErrorCode.NONE], [1, ErrorCode.ELECTION_NOT_NEEDED], [9, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]);
    const after = await state(0);
    expect(after).toEqual({ ...before, leader: 1, leaderEpoch: before.leaderEpoch + 1, partitionEpoch: before.partitionEpoch + 1 });
    expect(await elect(0, [0])).toEqual([[0, ErrorCode.ELECTION_NOT_NEEDED]]);

    // Preferred replica out of the ISR (still catching up): not available.
    await put(0, { leader: 2, leaderEpoch: after.leaderEpoch + 1, isr: [2, 3] });
    expect(await elect(0, null)).toEqual([[0, ErrorCode.PREFERRED_LEADER_NOT_AVAILABLE], [1, ErrorCode.ELECTION_NOT_NEEDED]]);
    expect((await state(0)).leader).toBe(2);
  });

  it('unclean: only for a partition without a live leader; ELIGIBLE_LEADERS_NOT_AVAILABLE when no replica lives', async () => {
    const { state, put, elect } = await setup('unclean');
    expect(await elect(1, [0])).toEqual([[0, ErrorCode.ELECTION_NOT_NEEDED]]);
    // Broker 3 alone was in the ISR and is gone: offline, and a clean election cannot help.
    await admin.delete().key(brokerKey('unclean', 3));
    await put(0, { leader: -1, leaderEpoch: 4, isr: [3] });
    expect(await elect(1, [0])).toEqual([[0, ErrorCode.NONE]]);
    expect(await state(0)).toMatchObject({ leader: 1, isr: [1], leaderEpoch: 5 });

    for (const id of [1, 2]) await admin.delete().key(brokerKey('unclean', id));
    await put(1, { leader: -1, leaderEpoch: 7, isr: [3] });
    expect(await elect(1, [1])).toEqual([[1, ErrorCode.ELIGIBLE_LEADERS_NOT_AVAILABLE]]);
    expect(await elect(7, [1])).toEqual([[1, ErrorCode.INVALID_REQUEST]]);
  });

  it('auto leader rebalance moves leadership back to the preferred replica once it is in the ISR', async () => {
    const { state, put } = await setup('auto', { autoLeaderRebalance: { enable: true, intervalMs: 300, imbalancePercentage: 10 } });
    await put(0, { leader: 2, leaderEpoch: 1, isr: [2, 3] });
    // Broker 1 is not in the ISR yet: nothing may move.
    await new Promise((r) => setTimeout(r, 1000));
    expect((await state(0)).leader).toBe(2);
    // It caught up and rejoined: the next check elects it.
    await put(0, { isr: [2, 3, 1] });
    const back = await waitFor('preferred leader back', async () => ((await state(0)).leader === 1 ? state(0) : undefined), 5000, 100);
    expect(back.leaderEpoch).toBe(2);
    expect((await state(1)).leader).toBe(2);
  });
});
