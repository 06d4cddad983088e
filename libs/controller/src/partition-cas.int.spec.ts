// casPartitionState against a real etcd: a decision is written as a fenced compare-and-set with
// its extra ops, made on the state and modRevision as written, refused to a deposed leader, and
// answered without a write when the decision says so.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { controllerLeaderKey, partitionKey, partitionState, type PartitionState } from '@dms/cluster';
import { startEtcd, type EtcdProcess } from '@dms/devcluster';
import { casPartitionState } from './partition-cas';

jest.setTimeout(60_000);

const CLUSTER = 'cas';
let dir: string;
let etcd: EtcdProcess;
let client: Etcd3;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dms-cas-'));
  etcd = await startEtcd({ dataDir: dir });
  client = new Etcd3({ hosts: `http://${etcd.endpoint}` });
});

afterAll(async () => {
  client?.close();
  await etcd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function lead(): Promise<string> {
  await client.delete().key(controllerLeaderKey(CLUSTER)).exec();
  await client.put(controllerLeaderKey(CLUSTER)).value('{}').exec();
  return String((await client.get(controllerLeaderKey(CLUSTER)).exec()).kvs[0]!.create_revision);
}

const initial: PartitionState = { replicas: [1, 2, 3], leader: 1, leaderEpoch: 0, isr: [1, 2, 3], partitionEpoch: 0 };
const read = async (p: number) => partitionState.decode(await client.get(partitionKey(CLUSTER, 't', p)).buffer());
const bump = (s: PartitionState): PartitionState => ({ ...s, partitionEpoch: s.partitionEpoch + 1 });

describe('casPartitionState (real etcd)', () => {
  it('writes the decision with its extra ops in one transaction, and answers without writing when told', async () => {
    const fence = await lead();
    await client.put(partitionKey(CLUSTER, 't', 0)).value(partitionState.encode(initial)).exec();
    const opts = { client, clusterName: CLUSTER, fence: () => fence };
    const res = await casPartitionState(opts, 't', 0, (state, modRevision) => ({
      write: bump(state),
      ops: [client.put(`/dms/${CLUSTER}/side`).value(String(modRevision))],
      answer: state.partitionEpoch,
    }));
    expect(res).toEqual({ kind: 'answered', answer: 0, written: true });
    expect((await read(0))?.partitionEpoch).toBe(1);
    expect(await client.get(`/dms/${CLUSTER}/side`).string()).toMatch(/^\d+$/);

    const before = (await client.get(partitionKey(CLUSTER, 't', 0)).exec()).kvs[0]!.mod_revision;
    expect(await casPartitionState(opts, 't', 0, () => ({ answer: 'no' }))).toEqual({ kind: 'answered', answer: 'no', written: false });
    expect((await client.get(partitionKey(CLUSTER, 't', 0)).exec()).kvs[0]!.mod_revision).toBe(before);
  });

  it('decides on the state as written now, with its modRevision', async () => {
    const fence = await lead();
    await client.put(partitionKey(CLUSTER, 't', 1)).value(partitionState.encode({ ...initial, partitionEpoch: 5 })).exec();
    const rev = (await client.get(partitionKey(CLUSTER, 't', 1)).exec()).kvs[0]!.mod_revision;
    let seen: [number, bigint] | undefined;
    await casPartitionState({ client, clusterName: CLUSTER, fence: () => fence }, 't', 1, (state, modRevision) => {
      seen = [state.partitionEpoch, modRevision];
      return { answer: 0 };
    });
    expect(seen).toEqual([5, BigInt(rev)]);
  });

  it('refuses a deposed leader and an unknown partition', async () => {
    const old = await lead();
    await client.put(partitionKey(CLUSTER, 't', 2)).value(partitionState.encode(initial)).exec();
    await lead();
    expect(await casPartitionState({ client, clusterName: CLUSTER, fence: () => old }, 't', 2, (s) => ({ write: bump(s), answer: 1 }))).toEqual({ kind: 'not-controller' });
    expect((await read(2))?.partitionEpoch).toBe(0);
    expect(await casPartitionState({ client, clusterName: CLUSTER, fence: () => undefined }, 't', 2, (s) => ({ write: bump(s), answer: 1 }))).toEqual({ kind: 'not-controller' });
    expect(await casPartitionState({ client, clusterName: CLUSTER, fence: () => old }, 'missing', 0, (s) => ({ write: bump(s), answer: 1 }))).toEqual({ kind: 'unknown-partition' });
  });
});
