import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Etcd3 } from 'etcd3';
import { startEtcd, waitFor, type EtcdProcess } from '@dms/devcluster';
import { ClusterView } from './cluster-view';
import { LeaderElection } from './election';
import { fencedTxn, NotLeaderError } from './fenced';
import { brokerCordonKey, brokerKey, controllerLeaderKey, topicKey } from './keys';
import { EtcdSession } from './session';
import { brokerCordonRecord, brokerRegistration } from './types';

jest.setTimeout(60_000);

const TTL_MS = 3000;

describe('etcd coordination (real etcd)', () => {
  let dir: string;
  let etcd: EtcdProcess;
  const clients: Etcd3[] = [];
  const newClient = () => {
    const c = new Etcd3({ hosts: `http://${etcd.endpoint}` });
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'dms-cluster-'));
    etcd = await startEtcd({ dataDir: dir });
  });
  afterAll(async () => {
    for (const c of clients) c.close();
    await etcd.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function candidate(cluster: string, id: number) {
    const client = newClient();
    const session = new EtcdSession(client, { ttlMs: TTL_MS });
    await session.start();
    const election = new LeaderElection(client, session, {
      key: controllerLeaderKey(cluster),
      value: (epoch) => JSON.stringify({ id, host: '127.0.0.1', port: 1, epoch }),
      retryIntervalMs: 300,
    });
    election.start();
    return { id, client, session, election };
  }

  it('elects exactly one leader and fails over when its session ends', async () => {
    const cs = await Promise.all([1, 2, 3].map((id) => candidate('elect', id)));
    const leader = await waitFor('a leader', () => cs.find((c) => c.election.isLeader), 10_000);
    await new Promise((r) => setTimeout(r, 500));
    expect(cs.filter((c) => c.election.isLeader)).toHaveLength(1);
    const stored = await newClient().get(controllerLeaderKey('elect')).exec();
    expect(JSON.parse(stored.kvs[0].value.toString()).id).toBe(leader.id);
    // The value carries the fencing token once written.
    expect(JSON.parse(stored.kvs[0].value.toString()).epoch).toBe(Number(leader.election.revision));
    expect(stored.kvs[0].create_revision).toBe(leader.election.revision);

    const lost = new Promise<string>((r) => leader.election.once('lost-leadership', r));
    const started = Date.now();
    await leader.session.close();
    const rest = cs.filter((c) => c !== leader);
    const next = await waitFor('a new leader', () => rest.find((c) => c.election.isLeader), TTL_MS);
    expect(Date.now() - started).toBeLessThan(TTL_MS);
    expect(rest.filter((c) => c.election.isLeader)).toEqual([next]);
    // The old leader object never learned of its loss through etcd here (we closed it); a
    // watch on the key still tells it it was replaced.
    await expect(Promise.race([lost, new Promise((r) => setTimeout(() => r('timeout'), 3000))])).resolves.not.toBe('timeout');
    for (const c of cs) await c.election.stop();
    for (const c of rest) await c.session.close();
  });

  it('a deposed leader cannot commit a fenced write; its session declares itself lost', async () => {
    const a = await candidate('fence', 1);
    await waitFor('a leads', () => a.election.isLeader, 5000);
    const oldRevision = a.election.revision!;
    const b = await candidate('fence', 2);
    const lostAt = new Promise<number>((r) => a.session.once('lost', () => r(Date.now())));
    // Expire a's lease behind its back.
    const admin = newClient();
    await admin.leaseClient.leaseRevoke({ ID: a.session.leaseId });
    await waitFor('b leads', () => b.election.isLeader, TTL_MS * 2);

    const write = fencedTxn(a.client, controllerLeaderKey('fence'), oldRevision).then(a.client.put(topicKey('fence', 't')).value('x'));
    await expect(write.commit()).rejects.toBeInstanceOf(NotLeaderError);
    expect(await admin.get(topicKey('fence', 't')).string()).toBeNull();

    // The new leader's fenced write goes through, and its extra guards still work.
    const ok = await fencedTxn(b.client, controllerLeaderKey('fence'), b.election.revision!)
      .and(topicKey('fence', 't'), 'Create', '==', 0)
      .then(b.client.put(topicKey('fence', 't')).value('y'))
      .commit();
    expect(ok.succeeded).toBe(true);
    const again = await fencedTxn(b.client, controllerLeaderKey('fence'), b.election.revision!)
      .and(topicKey('fence', 't'), 'Create', '==', 0)
      .then(b.client.put(topicKey('fence', 't')).value('z'))
      .commit();
    expect(again.succeeded).toBe(false);

    await lostAt;
    expect(a.election.isLeader).toBe(false);
    await a.election.stop();
    await b.election.stop();
    await a.session.close();
    await b.session.close();
  });

  it('declares the session lost on its own deadline when keepalives stop being acknowledged', async () => {
    const client = newClient();
    const session = new EtcdSession(client, { ttlMs: TTL_MS });
    await session.start();
    const reasons: string[] = [];
    session.on('lost', (r: string) => reasons.push(r));
    await etcd.child.kill('SIGSTOP');
    try {
      const started = Date.now();
      await waitFor('session lost', () => reasons.length > 0, TTL_MS * 2);
      // Well before etcd3's own 2xTTL detection.
      expect(Date.now() - started).toBeLessThan(TTL_MS);
      expect(session.alive).toBe(false);
    } finally {
      etcd.child.kill('SIGCONT');
    }
    await waitFor('recreated', async () => {
      try {
        await session.recreate();
        return true;
      } catch {
        return false;
      }
    }, 20_000, 300);
    expect(session.alive).toBe(true);
    await session.close();
  });

  it('ClusterView follows puts and deletes, ignores garbage, and recovers after an etcd restart', async () => {
    const writer = newClient();
    const cluster = 'view';
    const reg = (id: number) => brokerRegistration.encode({ id, host: '127.0.0.1', port: 9000 + id, rack: null, startTimeMs: 1 });
    await writer.put(brokerKey(cluster, 1)).value(reg(1));
    await writer.put(brokerKey(cluster, 2)).value('{garbage');
    const view = new ClusterView(newClient(), cluster).start();
    await view.ready;
    expect(view.brokers().map((b) => b.id)).toEqual([1]);

    const changes: string[] = [];
    view.on('change', (c: { type: string; key: string }) => changes.push(`${c.type} ${c.key}`));
    await writer.put(brokerKey(cluster, 3)).value(reg(3));
    await waitFor('broker 3', () => view.broker(3) !== undefined, 5000);
    await writer.delete().key(brokerKey(cluster, 1));
    await waitFor('broker 1 gone', () => view.broker(1) === undefined, 5000);
    expect(changes).toEqual([`put ${brokerKey(cluster, 3)}`, `delete ${brokerKey(cluster, 1)}`]);

    await etcd.stop();
    etcd = await startEtcd({ dataDir: dir, clientPort: etcd.clientPort, peerPort: etcd.peerPort });
    await writer.put(brokerKey(cluster, 4)).value(reg(4));
    await waitFor('broker 4 after restart', () => view.broker(4) !== undefined, 20_000);
    await writer.put(topicKey(cluster, 'x')).value(
      JSON.stringify({ topicId: '0f8fad5b-d9cb-469f-a165-70867728950e', partitions: 1, replicationFactor: 1, configs: {}, createdAtMs: 1 }),
    );
    await waitFor('topic after restart', () => view.topic('x') !== undefined, 10_000);
    expect(view.brokers().map((b) => b.id)).toEqual([3, 4]);
    // Broker cordons (DescribeLogDirs v5 reports them): followed like every other key.
    await writer.put(brokerCordonKey(cluster, 3)).value(brokerCordonRecord.encode({ brokerId: 3, cordonedAtMs: 1 }));
    await waitFor('broker 3 cordoned', () => view.cordonedBrokers().has(3), 5000);
    await writer.delete().key(brokerCordonKey(cluster, 3));
    await waitFor('broker 3 uncordoned', () => !view.cordonedBrokers().has(3), 5000);
    await view.close();
  });

  it('a watch cancelled by compaction re-lists and converges', async () => {
    const writer = newClient();
    const cluster = 'compact';
    const view = new ClusterView(newClient(), cluster).start();
    await view.ready;
    await view.close(); // stop watching, then change and compact behind its back
    const reg = (id: number) => brokerRegistration.encode({ id, host: 'h', port: 1, rack: null, startTimeMs: 1 });
    const r = await writer.put(brokerKey(cluster, 7)).value(reg(7));
    await writer.put(brokerKey(cluster, 8)).value(reg(8));
    await writer.delete().key(brokerKey(cluster, 8));
    const last = await writer.put(brokerKey(cluster, 9)).value(reg(9));
    await writer.kv.compact({ revision: last.header.revision, physical: true });
    expect(Number(r.header.revision)).toBeLessThan(Number(last.header.revision));

    // A fresh PrefixWatch started from an old revision: simulate by a view whose first watch
    // begins below the compaction point.
    const { PrefixWatch } = await import('./watch-cache');
    const pw = new PrefixWatch<string>(newClient(), { prefix: `/dms/${cluster}/`, decode: (_k, v) => v.toString(), retryMs: 100 });
    const internals = pw as unknown as { watch(from: bigint): void; sync(): Promise<void> };
    internals.watch(BigInt(r.header.revision)); // below the compaction revision -> cancelled
    await waitFor('re-listed after compaction', () => pw.map.size === 2, 10_000);
    expect([...pw.map.keys()].sort()).toEqual([brokerKey(cluster, 7), brokerKey(cluster, 9)]);
    await pw.close();
  });
  it('a view whose etcd was wiped (store replaced, revision went back) drops the keys that vanished', async () => {
    // Its own etcd: this one is wiped under the view's feet.
    const wipeDir = mkdtempSync(join(tmpdir(), 'dms-cluster-wipe-'));
    let own = await startEtcd({ dataDir: wipeDir });
    const c1 = new Etcd3({ hosts: `http://${own.endpoint}` });
    const c2 = new Etcd3({ hosts: `http://${own.endpoint}` });
    try {
      const { PrefixWatch } = await import('./watch-cache');
      const prefix = '/dms/wiped/';
      // Enough writes that the old revision stays ahead of the new store's for the whole test.
      for (let i = 0; i < 50; i++) await c1.put(`${prefix}k${i % 5}`).value(`v${i}`);
      const pw = new PrefixWatch<string>(c2, { prefix, decode: (_k, v) => v.toString(), retryMs: 100, probeMs: 200 });
      pw.start();
      await pw.ready;
      expect(pw.map.size).toBe(5);
      const before = pw.revision;

      await own.stop();
      rmSync(wipeDir, { recursive: true, force: true });
      own = await startEtcd({ dataDir: wipeDir, clientPort: own.clientPort, peerPort: own.peerPort });
      await c1.put(`${prefix}fresh`).value('new');

      await waitFor('cache follows the replaced store', () => pw.map.size === 1 && pw.get(`${prefix}fresh`) !== undefined, 20_000);
      expect(pw.revision).toBeLessThan(before);
      await pw.close();
    } finally {
      c1.close();
      c2.close();
      await own.stop();
      rmSync(wipeDir, { recursive: true, force: true });
    }
  });
});
