// Producer id blocks against a real etcd: concurrent allocations never overlap, a deposed
// leader cannot allocate, and the next leader continues after the last block written.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { controllerLeaderKey, NotLeaderError, producerIdBlockKey, producerIdBlockRecord } from '@dms/cluster';
import { startEtcd, type EtcdProcess } from '@dms/devcluster';
import { ProducerIdManager, type ProducerIdBlock } from './producer-id-manager';

jest.setTimeout(60_000);

const CLUSTER = 'pids';
let dir: string;
let etcd: EtcdProcess;
let client: Etcd3;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dms-pids-'));
  etcd = await startEtcd({ dataDir: dir });
  client = new Etcd3({ hosts: `http://${etcd.endpoint}` });
});

afterAll(async () => {
  client?.close();
  await etcd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Becomes "leader" by (re)creating the election key; returns its create revision (the fence). */
async function lead(value: string): Promise<string> {
  await client.delete().key(controllerLeaderKey(CLUSTER)).exec();
  await client.put(controllerLeaderKey(CLUSTER)).value(value).exec();
  const res = await client.get(controllerLeaderKey(CLUSTER)).exec();
  return String(res.kvs[0].create_revision);
}

const ids = (b: ProducerIdBlock) => Array.from({ length: b.length }, (_, i) => b.start + BigInt(i));

describe('ProducerIdManager (real etcd)', () => {
  it('hands out disjoint blocks, refuses a deposed leader and continues after a leader change', async () => {
    const fenceA = await lead('a');
    const a = new ProducerIdManager({ client, clusterName: CLUSTER, fence: () => fenceA, blockSize: 10 });
    const first = await Promise.all(Array.from({ length: 12 }, (_, i) => a.allocate(i)));
    const all = first.flatMap(ids);
    expect(new Set(all).size).toBe(120);
    expect(all.sort((x, y) => (x < y ? -1 : 1))[0]).toBe(0n);

    const fenceB = await lead('b');
    await expect(a.allocate(1)).rejects.toBeInstanceOf(NotLeaderError);
    const b = new ProducerIdManager({ client, clusterName: CLUSTER, fence: () => fenceB, blockSize: 10 });
    const next = await b.allocate(7);
    expect(next).toEqual({ start: 120n, length: 10 });
    const stored = producerIdBlockRecord.decode(await client.get(producerIdBlockKey(CLUSTER)).buffer());
    expect(stored).toEqual({ assignedTo: 7, blockStart: '120', blockLen: 10 });
  });

  it('never restarts from 0 over a latest block it cannot read', async () => {
    const fence = await lead('c');
    await client.put(producerIdBlockKey(CLUSTER)).value('not json').exec();
    const m = new ProducerIdManager({ client, clusterName: CLUSTER, fence: () => fence });
    await expect(m.allocate(1)).rejects.toThrow(/unreadable/);
  });
});
